import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RenderFailure } from '@flowsmith/contracts';
import type { EngineParseOptions, EngineRenderOptions, EngineResult, EngineSvg, RenderEngine } from '../engine';
import { sanitizeSvg, SvgSourceError } from '../svg/sanitize-svg';
import { sizedDrawing } from '../svg/svg-engine';
import { THEME_DEFINITIONS, type ThemeDefinition } from '../themes';
import { frameTikzSource, legibleStrokes, STANDALONE_CLASS, type TikzDocument } from './tikz-source';

export interface TikzEngineOptions {
  /** Per picture, TeX and dvisvgm together, from the moment it gets one of the `concurrency` slots. */
  timeoutMs: number;
  /** Pictures drawn at once, each a `latex` and then a `dvisvgm` process; 2 by default. */
  concurrency?: number;
  /** Defaults to `latex` and `dvisvgm` on the PATH (Debian: texlive-latex-base, texlive-pictures, dvisvgm). */
  latexPath?: string;
  dvisvgmPath?: string;
  /** Where each picture gets a folder of its own (removed after it); the OS's temporary folder by default. */
  workDir?: string;
}

/** The shared SVG step refuses larger SVGs. */
const MAX_SVG_BYTES = 2 * 1024 * 1024;
/** What one picture's processes may write, each file (log, DVI, SVG): `ulimit -f`, in 512-byte blocks. */
const MAX_FILE_BLOCKS = 32 * 1024;
/** Address space of each process, in KB (`ulimit -v`): TeX's memory is fixed, dvisvgm's grows with the picture. */
const MAX_MEMORY_KB = 2 * 1024 * 1024;
/** Of a log or stderr, the part read for messages. */
const MAX_LOG_CHARS = 256 * 1024;

const clip = (text: string) => (text.length > 300 ? `${text.slice(0, 297)}...` : text);

/**
 * TeX's search paths are left as Debian sets them (its own tree, then the job's folder); what it
 * may open is not: `openin_any=p`/`openout_any=p` (kpathsea's paranoid mode: no absolute paths
 * outside the job's folder, no `..`, no hidden files), no shell escape at all, and no
 * mktex* scripts (a missing font is an error, not a program run). Long log lines stay whole
 * (max_print_line), so errors can be read from them.
 */
function texEnvironment(dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: dir,
    TEXMFOUTPUT: dir,
    TEXMFVAR: join(dir, 'texmf-var'),
    TEXMFCONFIG: join(dir, 'texmf-config'),
    openin_any: 'p',
    openout_any: 'p',
    shell_escape: 'f',
    MKTEXTFM: '0',
    MKTEXPK: '0',
    MKTEXMF: '0',
    MKTEXTEX: '0',
    MKTEXFMT: '0',
    max_print_line: '1000',
    error_line: '254',
    half_error_line: '238',
    LC_ALL: 'C',
  };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stderr: string;
}

/**
 * One process in a process group of its own, under `ulimit` (file size, memory), killed with its
 * group at `deadline`.
 */
function run(command: string, args: string[], dir: string, deadline: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `ulimit -f ${MAX_FILE_BLOCKS}; ulimit -v ${MAX_MEMORY_KB}; exec "$@"`, 'sh', command, ...args], {
      cwd: dir,
      env: texEnvironment(dir),
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let timedOut = false;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_LOG_CHARS) stderr += chunk;
    });
    const kill = () => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    };
    const timer = setTimeout(kill, Math.max(0, deadline - Date.now()));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stderr });
    });
  });
}

/** Waits for one of `size` slots. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  async take(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

const timeout = (ms: number): RenderFailure => ({ code: 'render_timeout', message: `The TikZ picture did not finish within ${ms} ms (TeX was stopped).` });

/**
 * TeX's first error in a log: with -file-line-error it reads `./job.tex:12: Undefined control
 * sequence.`, then the context up to the error (`l.12 \draw (0,0) \foo`). Lines of job.tex are the
 * user's (TikzDocument); an error in a package file has no line of theirs.
 */
export function texError(log: string, document: Pick<TikzDocument, 'lines'>): RenderFailure {
  const lines = log.split('\n');
  const at = lines.findIndex((line) => /^(?:\.\/)?[^\s:][^:]*:\d+: /.test(line) || line.startsWith('! '));
  if (at < 0) return { code: 'parse_failed', message: 'TikZ: TeX stopped without drawing the picture.' };
  const located = /^((?:\.\/)?[^\s:][^:]*):(\d+): (.*)$/.exec(lines[at]);
  let message = (located ? located[3] : lines[at].slice(2)).trim();
  // A package's error goes on over lines that begin with its name in parentheses: `(pgfplots) …`.
  for (let i = at + 1; i < Math.min(lines.length, at + 6); i++) {
    const more = /^\([\w-]+\)\s+(.*)$/.exec(lines[i].trim());
    if (!more) break;
    message += ` ${more[1]}`;
  }
  // TeX's messages end in a full stop even after a question mark ("Did you forget a semicolon?.").
  message = message.replace(/^! /, '').replace(/\s+/g, ' ').replace(/([?!.])\.$/, '$1');
  const context = lines.slice(at, at + 12).find((line) => /^l\.\d+ /.test(line));
  const near = context?.replace(/^l\.\d+ /, '').trim();
  if (near && /Undefined control sequence|Missing|Extra|not allowed|Illegal/.test(message)) message += ` (after "${near.length > 60 ? `...${near.slice(-57)}` : near}")`;
  if (/^(File ended while scanning|Runaway argument)/.test(message)) message += ' A parenthesis, bracket or brace is left open.';
  const file = located?.[1].replace(/^\.\//, '');
  const reported = located ? Number(located[2]) : undefined;
  const line = file === 'job.tex' && reported && reported <= document.lines ? reported : undefined;
  if (/TeX capacity exceeded/.test(message)) return { code: 'output_too_large', message: `TikZ: ${clip(message)}` };
  return { code: 'parse_failed', message: `TikZ${line ? ` (line ${line})` : ''}: ${clip(message)}`, line };
}

/** Ids made unique to the picture (`tikz-<hash>-g1-66`), so two pictures inlined in one page keep their own glyphs. */
export function prefixIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid=(["'])([^"']+)\1/g)].map((match) => match[2]));
  if (!ids.size) return svg;
  const renamed = (id: string) => (ids.has(id) ? `${prefix}${id}` : id);
  return svg
    .replace(/(\sid=)(["'])([^"']+)\2/g, (_, attribute: string, quote: string, id: string) => `${attribute}${quote}${renamed(id)}${quote}`)
    .replace(/(href=)(["'])#([^"']+)\2/g, (_, attribute: string, quote: string, id: string) => `${attribute}${quote}#${renamed(id)}${quote}`)
    .replace(/url\(\s*#([^)\s]+)\s*\)/g, (_, id: string) => `url(#${renamed(id)})`);
}

/**
 * TikZ/PGF pictures through TeX from Debian (texlive-latex-base, texlive-pictures, dvisvgm): each
 * render frames the source (tikz-source.ts: refuses what reads or writes files or runs programs,
 * sets the theme's colours), runs `latex` then `dvisvgm` in a folder of its own (removed after),
 * both in a process group killed at the deadline, and sizes the SVG as TeX measured it (pt).
 * Glyphs are paths (`--no-fonts`): viewers need no TeX fonts, and text is not SVG text.
 */
export class TikzEngine implements RenderEngine {
  readonly format = 'tikz' as const;
  readonly sanitizesOutput = true;
  private readonly slots: Slots;
  private readonly timeoutMs: number;
  private readonly latex: string;
  private readonly dvisvgm: string;
  private readonly workDir: string;
  /** Outlines dvisvgm traced from Metafont fonts (T1-encoded text), kept between pictures: tracing costs a second a font. */
  private readonly fontCache: string;
  private fontCacheMade = false;

  constructor(options: TikzEngineOptions) {
    this.timeoutMs = options.timeoutMs;
    this.slots = new Slots(options.concurrency ?? 2);
    this.latex = options.latexPath ?? 'latex';
    this.dvisvgm = options.dvisvgmPath ?? 'dvisvgm';
    this.workDir = options.workDir ?? tmpdir();
    this.fontCache = join(this.workDir, 'flowsmith-dvisvgm-cache');
  }

  async parse(source: string, options: EngineParseOptions = {}): Promise<EngineResult<{ diagramType: string }>> {
    const drawn = await this.render(source, THEME_DEFINITIONS.light, options);
    return drawn.ok ? { ok: true, value: { diagramType: drawn.value.diagramType } } : drawn;
  }

  async render(source: string, theme: ThemeDefinition, options: EngineRenderOptions = {}): Promise<EngineResult<EngineSvg>> {
    const framed = frameTikzSource(source, theme);
    if (!framed.ok) return framed;
    if (options.deadline !== undefined && options.deadline <= Date.now()) return { ok: false, error: timeout(0) };
    const release = await this.slots.take();
    try {
      const deadline = Math.min(Date.now() + this.timeoutMs, options.deadline ?? Infinity);
      // The caller may have stopped waiting while the picture waited for a slot.
      if (deadline <= Date.now()) return { ok: false, error: timeout(0) };
      return await this.draw(framed.value, theme, deadline);
    } finally {
      release();
    }
  }

  private async draw(document: TikzDocument, theme: ThemeDefinition, deadline: number): Promise<EngineResult<EngineSvg>> {
    const limitMs = Math.max(0, Math.round(deadline - Date.now()));
    const dir = await mkdtemp(join(this.workDir, 'flowsmith-tikz-'));
    try {
      await Promise.all([writeFile(join(dir, 'job.tex'), document.text), writeFile(join(dir, 'standalone.cls'), STANDALONE_CLASS)]);
      const tex = await run(this.latex, ['-no-shell-escape', '-interaction=nonstopmode', '-halt-on-error', '-file-line-error', 'job.tex'], dir, deadline);
      if (tex.timedOut) return { ok: false, error: timeout(limitMs) };
      if (tex.signal === 'SIGXFSZ') return { ok: false, error: { code: 'output_too_large', message: 'TikZ: TeX wrote more than the limit allows (a picture or log of over 16 MB).' } };
      const log = await readFile(join(dir, 'job.log'), 'utf8').catch(() => '');
      if (tex.code !== 0) {
        if (!log) throw new Error(`latex did not run (exit ${tex.code ?? tex.signal}): ${clip(tex.stderr)}`);
        return { ok: false, error: texError(log.slice(-MAX_LOG_CHARS), document) };
      }
      if (!(await stat(join(dir, 'job.dvi')).catch(() => null))) return { ok: false, error: { code: 'parse_failed', message: 'TikZ: the source drew nothing (TeX made no page).' } };

      if (!this.fontCacheMade) {
        await mkdir(this.fontCache, { recursive: true, mode: 0o700 });
        this.fontCacheMade = true;
      }
      const args = [
        '--no-fonts', // glyphs as paths
        '--exact-bbox',
        '--optimize',
        '--precision=3',
        '--page=1',
        '--bbox=min',
        // Only pgf's raw SVG, colours and drawing specials: no PostScript (Ghostscript), PDF or hyperlink ones.
        '--no-specials=ps,pdf,html,em,bgcolor,papersize',
        `--cache=${this.fontCache}`,
        '--verbosity=3',
        '--output=job.svg',
        'job.dvi',
      ];
      const converted = await run(this.dvisvgm, args, dir, deadline);
      if (converted.timedOut) return { ok: false, error: timeout(limitMs) };
      if (converted.signal === 'SIGXFSZ') return { ok: false, error: { code: 'output_too_large', message: `TikZ: the SVG is larger than ${MAX_SVG_BYTES / 1024 / 1024} MB.` } };
      const size = (await stat(join(dir, 'job.svg')).catch(() => null))?.size;
      if (converted.code !== 0 || size === undefined) {
        const reason = /ERROR: (.*)/.exec(converted.stderr)?.[1] ?? `exit ${converted.code ?? converted.signal}`;
        return { ok: false, error: { code: 'parse_failed', message: `TikZ: dvisvgm could not convert the picture: ${clip(reason)}` } };
      }
      if (size > MAX_SVG_BYTES) return { ok: false, error: { code: 'output_too_large', message: `TikZ: the SVG is ${Math.ceil(size / 1024 / 1024)} MB; at most ${MAX_SVG_BYTES / 1024 / 1024} MB.` } };
      const svg = await readFile(join(dir, 'job.svg'), 'utf8');
      return this.finish(svg, document, theme);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private finish(svg: string, document: TikzDocument, theme: ThemeDefinition): EngineResult<EngineSvg> {
    // dvisvgm's size is in pt, its viewBox in pt too: the border widens both.
    const [left, bottom, right, top] = document.border;
    const bordered = svg.replace(/<svg\b[^>]*>/, (open) => {
      const box = /\sviewBox=(["'])([^"']*)\1/.exec(open)?.[2].trim().split(/[\s,]+/).map(Number);
      const width = Number.parseFloat(/\swidth=(["'])([\d.]+)pt\1/.exec(open)?.[2] ?? '');
      const height = Number.parseFloat(/\sheight=(["'])([\d.]+)pt\1/.exec(open)?.[2] ?? '');
      if (!box || box.length !== 4 || box.some((n) => !Number.isFinite(n)) || !width || !height) return open;
      const round = (n: number) => Math.round(n * 1000) / 1000;
      return open
        .replace(/\sviewBox=(["'])[^"']*\1/, ` viewBox="${[box[0] - left, box[1] - top, box[2] + left + right, box[3] + top + bottom].map(round).join(' ')}"`)
        .replace(/\swidth=(["'])[^"']*\1/, ` width="${round(width + left + right)}pt"`)
        .replace(/\sheight=(["'])[^"']*\1/, ` height="${round(height + top + bottom)}pt"`);
    });
    const prefix = `tikz-${createHash('sha256').update(document.text).update(theme.id).digest('hex').slice(0, 8)}-`;
    try {
      const sanitized = sanitizeSvg(prefixIds(legibleStrokes(bordered, theme.background), prefix), { optimise: false });
      const { inner, width, height } = sizedDrawing(sanitized.svg, sanitized.root);
      return { ok: true, value: { svg: `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 ${width} ${height}">${inner}</svg>`, diagramType: document.diagramType, viewBox: [0, 0, width, height] } };
    } catch (error) {
      if (error instanceof SvgSourceError) return { ok: false, error: { code: / at most \d+ px/.test(error.message) ? 'output_too_large' : 'parse_failed', message: `TikZ: ${error.message}` } };
      throw error;
    }
  }
}
