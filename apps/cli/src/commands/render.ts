import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { FlowsmithError } from '@flowsmith/client';
import { SOURCE_FORMATS, type SourceFormat } from '@flowsmith/contracts';
import { CliContext, CliUsageError, oneOf, OptionSpec, stringOption } from '../context';

export const SOURCE_EXTENSIONS: Record<string, SourceFormat> = {
  '.mmd': 'mermaid', '.mermaid': 'mermaid', '.puml': 'plantuml', '.plantuml': 'plantuml', '.pu': 'plantuml',
  '.drawio': 'drawio', '.bpmn': 'bpmn', '.svg': 'svg',
};

export const RENDER_OPTIONS: OptionSpec = {
  output: { type: 'string', short: 'o' },
  format: { type: 'string', default: 'svg' },
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
  options: { format: 'svg' | 'png' | 'jpeg' | 'webp' | 'pdf'; theme?: string; scale?: number; layout?: 'dagre' | 'elk'; look?: 'classic' | 'neo' | 'handDrawn' },
) {
  const drawing = { ...(options.layout ? { layout: options.layout } : {}), ...(options.look ? { look: options.look } : {}) };
  if (options.format === 'svg') {
    const result = await context.client.render.beautify({ source, source_format: sourceFormat, theme: options.theme as never, ...drawing });
    return { data: Buffer.from(result.svg), diagramType: result.diagram_type };
  }
  const file = await context.client.render.export({ source, source_format: sourceFormat, format: options.format, theme: options.theme as never, scale: options.scale as never, ...drawing });
  return { data: Buffer.from(file.data), diagramType: file.headers.get('x-diagram-type') ?? '' };
}

async function expand(patterns: string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const pattern of patterns) {
    if (/[*?[{]/.test(pattern)) for (const file of await glob(pattern, { onlyFiles: true, absolute: true })) files.add(file);
    else files.add(resolve(pattern));
  }
  return [...files].sort();
}

/** `-o` names a file for a single input with an image extension, else a directory. */
function outputPath(input: string, output: string | undefined, format: string, single: boolean): string {
  const name = `${basename(input, extname(input))}.${format === 'jpeg' ? 'jpg' : format}`;
  if (!output) return join(dirname(input), name);
  if (single && /\.(svg|png|jpe?g|webp|pdf)$/i.test(output)) return resolve(output);
  return join(resolve(output), name);
}

export async function runRender(context: CliContext): Promise<number> {
  if (!context.positionals.length) throw new CliUsageError('Name at least one file or glob: flowsmith render docs/**/*.mmd');
  const format = oneOf('format', stringOption(context, 'format'), ['svg', 'png', 'jpeg', 'webp', 'pdf'] as const) ?? 'svg';
  const forced = oneOf('source-format', stringOption(context, 'source-format'), SOURCE_FORMATS);
  const scaleText = stringOption(context, 'scale');
  const scale = scaleText === undefined ? undefined : Number(scaleText);
  if (scale !== undefined && ![1, 2, 4].includes(scale)) throw new CliUsageError('--scale must be one of: 1, 2, 4.');
  const layout = oneOf('layout', stringOption(context, 'layout'), ['dagre', 'elk'] as const);
  const look = oneOf('look', stringOption(context, 'look'), ['classic', 'neo', 'handDrawn'] as const);
  const concurrency = Number(stringOption(context, 'concurrency'));
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new CliUsageError('--concurrency must be a whole number from 1 to 64.');
  const files = await expand(context.positionals);
  if (!files.length) throw new CliUsageError(`No files match ${context.positionals.join(' ')}.`);
  const output = stringOption(context, 'output');

  const results: Array<{ file: string; output?: string; diagram_type?: string; error?: { code: string; message: string; line?: number } }> = [];
  context.progress.start(files.length, 'rendering');
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++];
      const sourceFormat = forced ?? SOURCE_EXTENSIONS[extname(file).toLowerCase()];
      try {
        if (!sourceFormat) throw new CliUsageError(`cannot tell the source format from "${extname(file) || 'no extension'}"; use --source-format`);
        const rendered = await renderSource(context, await readFile(file, 'utf8'), sourceFormat, { format, theme: stringOption(context, 'theme'), scale, layout, look });
        const target = outputPath(file, output, format, files.length === 1);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, rendered.data);
        results.push({ file, output: target, diagram_type: rendered.diagramType });
        if (!context.json) context.progress.log(`✓ ${file} → ${target}`);
      } catch (error) {
        const failure = error instanceof FlowsmithError ? { code: error.code, message: error.message, line: lineOf(error.message) } : { code: 'error', message: (error as Error).message };
        results.push({ file, error: failure });
        context.progress.log(`✗ ${file}${failure.line ? `:${failure.line}` : ''}: ${failure.message}`, process.stderr);
      }
      context.progress.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  context.progress.stop();
  const failed = results.filter((result) => result.error).length;
  if (context.json) context.print({ rendered: results.length - failed, failed, results: results.sort((a, b) => a.file.localeCompare(b.file)) });
  else context.say(`${results.length - failed} rendered, ${failed} failed`);
  return failed ? 1 : 0;
}

function lineOf(message: string): number | undefined {
  const match = /\bline (\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}
