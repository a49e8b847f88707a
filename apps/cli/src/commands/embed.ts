import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { CliContext, CliUsageError, oneOf, OptionSpec, stringOption } from '../context';
import { renderSource } from './render';

export const EMBED_OPTIONS: OptionSpec = {
  check: { type: 'boolean', default: false },
  share: { type: 'boolean', default: false },
  format: { type: 'string', default: 'svg' },
  theme: { type: 'string' },
};

const FENCE = /^(```|~~~)(mermaid|plantuml|puml)\s*$/;
/** The line that marks our image reference, with the content address of what it shows. */
const MARKER = /^<!-- flowsmith:([0-9a-f]{12}) -->$/;

interface Block {
  format: 'mermaid' | 'plantuml';
  source: string;
  /** Index of the closing fence line. */
  end: number;
}

function blocks(lines: string[]): Block[] {
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const close = lines.findIndex((line, j) => j > i && line.trim() === open[1]);
    if (close < 0) break;
    found.push({ format: open[2] === 'mermaid' ? 'mermaid' : 'plantuml', source: lines.slice(i + 1, close).join('\n'), end: close });
    i = close;
  }
  return found;
}

/**
 * Renders every ```mermaid and ```plantuml block of Markdown files and puts the image reference
 * right under it, after a marker that records what it shows: a second run changes nothing, and
 * `--check` fails (exit 1) when a block's image is missing or out of date.
 */
export async function runEmbed(context: CliContext): Promise<number> {
  if (!context.positionals.length) throw new CliUsageError('Name at least one Markdown file: flowsmith embed README.md');
  const format = oneOf('format', stringOption(context, 'format'), ['svg', 'png'] as const) ?? 'svg';
  const theme = stringOption(context, 'theme');
  const check = context.values.check === true;
  const share = context.values.share === true;
  const report: Array<{ file: string; blocks: number; updated: number; stale: number }> = [];

  for (const file of context.positionals.map((path) => resolve(path))) {
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n');
    const found = blocks(lines);
    const assets = join(dirname(file), `${basename(file, extname(file))}.diagrams`);
    let updated = 0;
    let stale = 0;
    // From the last block up, so earlier indexes stay valid while lines are inserted.
    for (const block of [...found].reverse()) {
      const hash = createHash('sha256').update(JSON.stringify([block.format, format, theme ?? '', share, block.source])).digest('hex').slice(0, 12);
      const imagePath = join(assets, `${hash}.${format}`);
      const marker = MARKER.exec(lines[block.end + 1] ?? '');
      const current = marker?.[1] === hash && (share || existsSync(imagePath));
      if (current) continue;
      stale++;
      if (check) continue;
      let reference: string;
      if (share) {
        const created = await context.client.shares.create({ source: block.source, source_format: block.format, theme: theme as never });
        reference = new URL(format === 'png' ? created.png_url : created.url, context.baseUrl).toString();
      } else {
        const rendered = await renderSource(context, block.source, block.format, { format, theme });
        await mkdir(assets, { recursive: true });
        await writeFile(imagePath, rendered.data);
        reference = relative(dirname(file), imagePath).split('\\').join('/');
      }
      const image = `![${block.format} diagram](${reference})`;
      lines.splice(block.end + 1, marker ? 2 : 0, `<!-- flowsmith:${hash} -->`, image);
      updated++;
    }
    if (updated) await writeFile(file, lines.join('\n'));
    report.push({ file, blocks: found.length, updated, stale });
    if (!context.json) context.say(check ? `${file}: ${stale ? `${stale} of ${found.length} diagrams stale` : `${found.length} diagrams up to date`}` : `${file}: ${updated} of ${found.length} diagrams updated`);
  }
  if (context.json) context.print({ check, files: report });
  return check && report.some((entry) => entry.stale > 0) ? 1 : 0;
}
