import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { FILE_EXTENSIONS, LANGUAGES, type OutputFormat, SOURCE_FORMATS } from '@flowsmith/contracts';

/** The wildcards `render` expands; an argument without one is a file or a folder. */
const WILDCARD = /[*?[{]/;

/** Output file endings `-o` may name, and the format each one means (`.txt` is ASCII text). */
const OUTPUT_ENDINGS: Record<string, OutputFormat> = { svg: 'svg', png: 'png', jpg: 'jpeg', jpeg: 'jpeg', webp: 'webp', pdf: 'pdf', txt: 'txt' };

export function isGlob(argument: string): boolean {
  return WILDCARD.test(argument);
}

/**
 * The folder a glob's matches are mirrored from: its path up to the first segment with a
 * wildcard (`docs/**\/class.mmd` → `docs`, `*.mmd` → `.`).
 */
export function globBase(pattern: string): string {
  const segments = pattern.split(/[\\/]/);
  const wild = segments.findIndex((segment) => isGlob(segment));
  const fixed = segments.slice(0, wild < 0 ? segments.length - 1 : wild);
  if (fixed.length === 1 && fixed[0] === '') return sep;
  return fixed.length ? fixed.join('/') : '.';
}

/** The format an output file's ending asks for (`-o chart.png` → png), or undefined for a folder. */
export function formatOfOutputFile(path: string): OutputFormat | undefined {
  const ending = extname(path).slice(1).toLowerCase();
  return Object.hasOwn(OUTPUT_ENDINGS, ending) ? OUTPUT_ENDINGS[ending] : undefined;
}

/** A source's name without its language's ending: `chart.vl.json` → `chart`, `flow.mmd` → `flow`. */
export function stem(path: string): string {
  const name = path.split(/[\\/]/).pop() ?? path;
  const lower = name.toLowerCase();
  let cut = extname(name).length;
  for (const format of SOURCE_FORMATS) {
    for (const ending of LANGUAGES[format].extensions as readonly string[]) {
      if (lower.endsWith(ending) && ending.length > cut && ending.length < name.length) cut = ending.length;
    }
  }
  return name.slice(0, name.length - cut);
}

/** One file to render, and the folder its output path is taken relative to. */
export interface Input {
  file: string;
  base: string;
}

export interface Planned {
  file: string;
  output: string;
}

/**
 * Where each input is written: beside itself without `-o`; at `-o` when that names one file; else
 * under the `-o` folder at the input's path relative to its base (`docs/**\/*.mmd -o out` writes
 * `docs/sub/a.mmd` to `out/sub/a.svg`). Paths are absolute.
 */
export function planOutputs(inputs: readonly Input[], format: OutputFormat, output: string | undefined, cwd = process.cwd()): Planned[] {
  const ending = FILE_EXTENSIONS[format];
  return inputs.map(({ file, base }) => {
    const name = `${stem(file)}.${ending}`;
    if (!output) return { file, output: join(dirname(file), name) };
    if (formatOfOutputFile(output)) return { file, output: resolve(cwd, output) };
    const folder = relative(base, dirname(file));
    const inside = folder && !folder.startsWith('..') && !isAbsolute(folder) ? folder : '';
    return { file, output: join(resolve(cwd, output), inside, name) };
  });
}

export interface Conflict {
  /** `clash`: two inputs, one output; `overwrite`: an output that is an input. */
  kind: 'clash' | 'overwrite';
  message: string;
}

/**
 * Why the plan cannot be carried out: two inputs written to the same file, or an output that is one
 * of the inputs. Paths compare without case, as macOS's and Windows' file systems do.
 */
export function conflicts(planned: readonly Planned[], show: (path: string) => string = (path) => path): Conflict[] {
  const byOutput = new Map<string, Planned[]>();
  for (const entry of planned) {
    const key = entry.output.toLowerCase();
    byOutput.set(key, [...(byOutput.get(key) ?? []), entry]);
  }
  const inputs = new Map(planned.map((entry) => [entry.file.toLowerCase(), entry.file]));
  const found: Conflict[] = [];
  for (const entries of byOutput.values()) {
    const output = entries[0].output;
    if (entries.length > 1) {
      const message = `${entries.map((entry) => show(entry.file)).join(' and ')} would ${entries.length === 2 ? 'both' : 'all'} be written to ${show(output)}`;
      found.push({ kind: 'clash', message });
    }
    const overwritten = inputs.get(output.toLowerCase());
    if (overwritten) found.push({ kind: 'overwrite', message: `${show(entries[0].file)} would be written over the input ${show(overwritten)}` });
  }
  return found;
}
