import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { FlowsmithConnectionError } from '@flowsmith/client';
import { languageOfFence, type SourceFormat } from '@flowsmith/contracts';
import { CliContext, CliUsageError, oneOf, OptionSpec, shown, stringOption, warnIfAnonymous } from '../context';
import { type DiagramFence, findDiagramFences } from '../fences';
import { EmbedManifest } from '../manifest';
import { failureOf, renderSource } from './render';

export const EMBED_OPTIONS: OptionSpec = {
  check: { type: 'boolean', default: false },
  share: { type: 'boolean', default: false },
  prune: { type: 'boolean', default: false },
  languages: { type: 'string' },
  format: { type: 'string', default: 'svg' },
  theme: { type: 'string' },
};

/** The line that marks our image reference, with the content address of what it shows. */
const MARKER = /^\s*<!-- flowsmith:([0-9a-f]{12}) -->\s*$/;
/** An image reference line, `![alt](target)`, and its target. */
const IMAGE = /^\s*!\[(?:\\.|[^\]\\])*\]\((\S+)\)\s*$/;

interface FileReport {
  file: string;
  blocks: number;
  updated: number;
  stale: number;
  failed: number;
  pruned: string[];
}

function altText(block: DiagramFence): string {
  return (block.title ?? `${block.language} diagram`).replace(/[\\[\]]/g, (character) => `\\${character}`);
}

/**
 * Renders every diagram block of Markdown files (each language's fences in
 * libs/contracts/src/languages.ts) and puts the image reference right under it, after a marker that
 * records what it shows: a second run changes nothing, and `--check` fails (exit 1) when a block's
 * image is missing or out of date. Images go to `<name>.diagrams/`, listed in its manifest
 * (manifest.ts) so that `--prune` deletes only images embed wrote.
 */
export async function runEmbed(context: CliContext): Promise<number> {
  if (!context.positionals.length) throw new CliUsageError('Name at least one Markdown file: flowsmith embed README.md');
  const format = oneOf('format', stringOption(context, 'format'), ['svg', 'png'] as const) ?? 'svg';
  const theme = stringOption(context, 'theme');
  const check = context.values.check === true;
  const share = context.values.share === true;
  const prune = context.values.prune === true;
  const only = languagesOption(stringOption(context, 'languages'));
  const files = context.positionals.map((path) => resolve(path));
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length) throw new CliUsageError(`No such file: ${missing.map(shown).join(', ')}.`);
  if (!check) warnIfAnonymous(context);
  const report: FileReport[] = [];

  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const lines = text.split(/\r?\n/);
    const found = findDiagramFences(lines);
    const fences = only ? found.fences.filter((block) => only.has(block.language)) : found.fences;
    const unclosed = found.unclosed;
    for (const line of unclosed) context.warn(`${shown(file)}:${line + 1}: this diagram's fence is never closed; skipped`);
    const assets = join(dirname(file), `${basename(file, extname(file))}.diagrams`);
    const manifest = await EmbedManifest.load(assets);
    const document = basename(file);
    const entry: FileReport = { file, blocks: fences.length, updated: 0, stale: 0, failed: 0, pruned: [] };
    // From the last block up, so earlier indexes stay valid while lines are inserted.
    for (const block of [...fences].reverse()) {
      const hash = createHash('sha256')
        .update(JSON.stringify([block.language, format, theme ?? '', share, block.source]))
        .digest('hex')
        .slice(0, 12);
      const name = `${hash}.${format}`;
      const imagePath = join(assets, name);
      const marker = MARKER.exec(lines[block.end + 1] ?? '');
      const imageLine = marker ? IMAGE.exec(lines[block.end + 2] ?? '') : null;
      const previous = imageLine ? (lines[block.end + 2] as string) : undefined;
      // How many of our lines under the fence a new reference replaces.
      const ours = marker ? (previous === undefined ? 1 : 2) : 0;
      const reference = share ? imageLine?.[1] : relative(dirname(file), imagePath).split('\\').join('/');
      if (marker?.[1] === hash && reference && (share || existsSync(imagePath))) {
        const wanted = `${block.indent}![${altText(block)}](${reference})`;
        if (!share && !check) await manifest.claim(name, document);
        if (previous === wanted) continue;
        // Only the alt text changed (a new title): the image itself is current.
        entry.stale++;
        if (check) continue;
        lines.splice(block.end + 1, ours, `${block.indent}<!-- flowsmith:${hash} -->`, wanted);
        entry.updated++;
        continue;
      }
      entry.stale++;
      if (check) continue;
      let target: string;
      try {
        if (share) {
          const created = await context.client.shares.create({ source: block.source, source_format: block.language, theme: theme as never });
          target = new URL(format === 'png' ? created.png_url : created.url, context.baseUrl).toString();
        } else {
          const rendered = await renderSource(context, block.source, block.language, { format, theme });
          await mkdir(assets, { recursive: true });
          await writeFile(imagePath, rendered.data);
          manifest.wrote(name, document, rendered.data);
          target = relative(dirname(file), imagePath).split('\\').join('/');
        }
      } catch (error) {
        if (error instanceof FlowsmithConnectionError) throw error;
        const failure = failureOf(error);
        // The source's line within the document: the line the server names, counted from the fence's.
        const line = block.start + 1 + (failure.line ?? 0);
        context.warn(`✗ ${shown(file)}:${line}: ${failure.message}`);
        entry.failed++;
        continue;
      }
      lines.splice(block.end + 1, ours, `${block.indent}<!-- flowsmith:${hash} -->`, `${block.indent}![${altText(block)}](${target})`);
      entry.updated++;
    }
    const result = lines.join(eol);
    if (entry.updated) await writeFile(file, result);
    if (prune) {
      const pruned = await manifest.prune(document, result, check);
      entry.pruned = pruned.removed;
      if (check) entry.stale += pruned.removed.length;
      for (const path of pruned.kept) context.warn(`${shown(path)} was changed since embed wrote it: left in place`);
    }
    if (!check) await manifest.save();
    report.push(entry);
    if (!context.json) context.say(summary(entry, check));
  }
  if (context.json) context.print({ check, files: report });
  const failed = report.some((entry) => entry.failed > 0);
  return failed || (check && report.some((entry) => entry.stale > 0)) ? 1 : 0;
}

/** `--languages mermaid,dot`: the languages to embed (by fence name), for documents whose other fences show code. */
function languagesOption(value: string | undefined): Set<SourceFormat> | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !languageOfFence(name));
  if (!names.length || unknown.length) {
    throw new CliUsageError(`--languages takes fence names separated by commas${unknown.length ? `; not ${unknown.join(', ')}` : ''} (flowsmith embed --help lists them).`);
  }
  return new Set(names.map((name) => languageOfFence(name) as SourceFormat));
}

function summary(entry: FileReport, check: boolean): string {
  const file = shown(entry.file);
  const pruned = entry.pruned.length ? `, ${entry.pruned.length} old image${entry.pruned.length === 1 ? '' : 's'} ${check ? 'to prune' : 'pruned'}` : '';
  const failed = entry.failed ? `, ${entry.failed} failed` : '';
  if (check) return `${file}: ${entry.stale ? `${entry.stale - entry.pruned.length} of ${entry.blocks} diagrams stale` : `${entry.blocks} diagrams up to date`}${pruned}`;
  return `${file}: ${entry.updated} of ${entry.blocks} diagrams updated${failed}${pruned}`;
}
