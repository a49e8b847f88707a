import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { FlowsmithConnectionError, FlowsmithError } from '@flowsmith/client';
import { FILE_EXTENSIONS, languageOfFile, OUTPUT_FORMATS, type OutputFormat, SOURCE_FORMATS, type SourceFormat } from '@flowsmith/contracts';
import { CliContext, CliUsageError, oneOf, OptionSpec, shown, stringOption, warnIfAnonymous } from '../context';
import { conflicts, formatOfOutputFile, globBase, type Input, isGlob, planOutputs } from '../paths';

export const RENDER_OPTIONS: OptionSpec = {
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  theme: { type: 'string' },
  scale: { type: 'string' },
  layout: { type: 'string' },
  look: { type: 'string' },
  'source-format': { type: 'string' },
  concurrency: { type: 'string', default: '8' },
};

/** Renders one source to an image: SVG through beautify (never metered), PNG through export. */
export async function renderSource(
  context: CliContext,
  source: string,
  sourceFormat: SourceFormat,
  options: { format: OutputFormat; theme?: string; scale?: number; layout?: 'dagre' | 'elk'; look?: 'classic' | 'neo' | 'handDrawn' },
) {
  const drawing = { ...(options.layout ? { layout: options.layout } : {}), ...(options.look ? { look: options.look } : {}) };
  if (options.format === 'svg') {
    const result = await context.client.render.beautify({ source, source_format: sourceFormat, theme: options.theme as never, ...drawing });
    return { data: Buffer.from(result.svg), diagramType: result.diagram_type };
  }
  const file = await context.client.render.export({ source, source_format: sourceFormat, format: options.format, theme: options.theme as never, scale: options.scale as never, ...drawing });
  return { data: Buffer.from(file.data), diagramType: file.headers.get('x-diagram-type') ?? '' };
}

/**
 * The files the arguments name, each with the folder its output path is taken from: a glob's
 * matches with its fixed leading folders (paths.ts), a folder's files in a known language with
 * that folder, a file with its own folder. A file named twice keeps its first base.
 */
async function expand(args: string[]): Promise<Input[]> {
  const inputs = new Map<string, Input>();
  const add = (files: string[], base: string) => {
    for (const file of files.sort()) if (!inputs.has(file)) inputs.set(file, { file, base });
  };
  for (const argument of args) {
    if (isGlob(argument)) {
      add(await glob(argument, { onlyFiles: true, absolute: true }), resolve(globBase(argument)));
      continue;
    }
    const path = resolve(argument);
    const stats = await stat(path).catch(() => undefined);
    if (!stats) throw new CliUsageError(`No such file or folder: ${argument}.`);
    if (stats.isDirectory()) add((await glob('**/*', { cwd: path, onlyFiles: true, absolute: true })).filter((file) => languageOfFile(file)), path);
    else add([path], dirname(path));
  }
  return [...inputs.values()];
}

interface Failure {
  code: string;
  message: string;
  /** The source's line the server names, where it names one. */
  line?: number;
}

export function failureOf(error: unknown): Failure {
  if (error instanceof FlowsmithError) return { code: error.code, message: error.message, line: lineOf(error.message) };
  return { code: 'error', message: (error as Error).message };
}

function lineOf(message: string): number | undefined {
  const match = /\bline (\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** The output format: --format, else the ending of `-o FILE`, else SVG; both given must agree. */
function formatOf(context: CliContext, output: string | undefined): OutputFormat {
  const asked = oneOf('format', stringOption(context, 'format'), OUTPUT_FORMATS);
  const named = output ? formatOfOutputFile(output) : undefined;
  if (asked && named && FILE_EXTENSIONS[asked] !== FILE_EXTENSIONS[named]) {
    throw new CliUsageError(`-o ${output} is a .${FILE_EXTENSIONS[named]} file but --format is ${asked}: make them agree, or drop one.`);
  }
  return asked ?? named ?? 'svg';
}

export async function runRender(context: CliContext): Promise<number> {
  if (!context.positionals.length) throw new CliUsageError("Name at least one file, folder or glob: flowsmith render 'docs/**/*.mmd'");
  const output = stringOption(context, 'output');
  const format = formatOf(context, output);
  const forced = oneOf('source-format', stringOption(context, 'source-format'), SOURCE_FORMATS);
  const scaleText = stringOption(context, 'scale');
  const scale = scaleText === undefined ? undefined : Number(scaleText);
  if (scale !== undefined && ![1, 2, 4].includes(scale)) throw new CliUsageError('--scale must be one of: 1, 2, 4.');
  const layout = oneOf('layout', stringOption(context, 'layout'), ['dagre', 'elk'] as const);
  const look = oneOf('look', stringOption(context, 'look'), ['classic', 'neo', 'handDrawn'] as const);
  const concurrency = Number(stringOption(context, 'concurrency'));
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new CliUsageError('--concurrency must be a whole number from 1 to 64.');
  const inputs = await expand(context.positionals);
  if (!inputs.length) throw new CliUsageError(`No files match ${context.positionals.join(' ')}.`);
  if (output && formatOfOutputFile(output) && inputs.length > 1) {
    throw new CliUsageError(`-o ${output} names one file, but ${inputs.length} files match: name a folder instead.`);
  }
  const plan = planOutputs(inputs, format, output);
  const problems = conflicts(plan, shown);
  if (problems.length) {
    const advice = problems.some((problem) => problem.kind === 'overwrite')
      ? "Render to an -o folder, or name only the sources (an earlier run's images are sources too: 'docs/**/*.mmd', not 'docs')."
      : 'Render them to different -o folders, or rename one.';
    throw new CliUsageError(`nothing rendered, because\n${problems.map((problem) => `  ${problem.message}`).join('\n')}\n${advice}`);
  }
  warnIfAnonymous(context);

  const results: Array<{ file: string; output?: string; diagram_type?: string; error?: Failure }> = [];
  context.progress.start(plan.length, 'rendering');
  let next = 0;
  // A server that cannot be reached fails every file alike: stop at the first and say so once.
  let unreachable: FlowsmithConnectionError | undefined;
  const worker = async () => {
    while (next < plan.length && !unreachable) {
      const { file, output: target } = plan[next++];
      const sourceFormat = forced ?? languageOfFile(file);
      try {
        if (!sourceFormat) throw new CliUsageError(`cannot tell the language from "${extname(file) || 'no ending'}"; use --source-format`);
        const rendered = await renderSource(context, await readFile(file, 'utf8'), sourceFormat, { format, theme: stringOption(context, 'theme'), scale, layout, look });
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, rendered.data);
        results.push({ file, output: target, diagram_type: rendered.diagramType });
        if (!context.json) context.say(`✓ ${shown(file)} → ${shown(target)}`);
      } catch (error) {
        if (error instanceof FlowsmithConnectionError) {
          unreachable = error;
          break;
        }
        const failure = failureOf(error);
        results.push({ file, error: failure });
        context.warn(`✗ ${shown(file)}${failure.line ? `:${failure.line}` : ''}: ${failure.message}`);
      }
      context.progress.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, plan.length) }, worker));
  context.progress.stop();
  if (unreachable) throw unreachable;
  const failed = results.filter((result) => result.error).length;
  if (context.json) context.print({ rendered: results.length - failed, failed, results: results.sort((a, b) => a.file.localeCompare(b.file)) });
  else context.say(`${results.length - failed} rendered, ${failed} failed`);
  return failed ? 1 : 0;
}
