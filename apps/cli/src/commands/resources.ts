import { readFile } from 'node:fs/promises';
import { languageOfFile } from '@flowsmith/contracts';
import { CliContext, CliUsageError, OptionSpec, stringOption } from '../context';

export const DIAGRAM_OPTIONS: OptionSpec = {
  name: { type: 'string' },
  folder: { type: 'string' },
  limit: { type: 'string' },
  'source-format': { type: 'string' },
};
export const SHARE_OPTIONS: OptionSpec = { theme: { type: 'string' }, 'source-format': { type: 'string' } };
export const KEY_OPTIONS: OptionSpec = { name: { type: 'string' }, scopes: { type: 'string' }, test: { type: 'boolean', default: false } };

const table = (rows: string[][]) => rows.map((row) => row.join('  ')).join('\n');

function required(context: CliContext, index: number, what: string): string {
  const value = context.positionals[index];
  if (!value) throw new CliUsageError(`Missing ${what}.`);
  return value;
}

export async function runDiagrams(context: CliContext): Promise<number> {
  const action = required(context, 0, 'an action: list, get, create or delete');
  const limit = stringOption(context, 'limit');
  switch (action) {
    case 'list': {
      const page = await context.client.diagrams.list({ folder_id: stringOption(context, 'folder'), limit: limit ? Number(limit) : undefined });
      context.print(page, table(page.data.map((d) => [d.id, d.source_format, d.diagram_type ?? '', d.name])) || 'no diagrams');
      return 0;
    }
    case 'get': {
      const diagram = await context.client.diagrams.get(required(context, 1, 'a diagram id'));
      context.print(diagram, `${diagram.name} (${diagram.source_format}, ${diagram.diagram_type})\n\n${diagram.source}`);
      return 0;
    }
    case 'create': {
      const file = required(context, 1, 'a source file');
      const format = stringOption(context, 'source-format') ?? languageOfFile(file);
      if (!format) throw new CliUsageError(`cannot tell the source format of ${file}; use --source-format`);
      const diagram = await context.client.diagrams.create({ name: stringOption(context, 'name') ?? file, source: await readFile(file, 'utf8'), source_format: format as never, folder_id: stringOption(context, 'folder') });
      context.print(diagram, `✓ created ${diagram.id} (${diagram.diagram_type})`);
      return 0;
    }
    case 'delete': {
      const deleted = await context.client.diagrams.delete(required(context, 1, 'a diagram id'));
      context.print(deleted, `✓ deleted ${deleted.id}`);
      return 0;
    }
    default:
      throw new CliUsageError(`Unknown action "${action}": list, get, create or delete.`);
  }
}

/** `flowsmith share ID` shares a stored diagram; `flowsmith share FILE` shares a source. */
export async function runShare(context: CliContext): Promise<number> {
  const target = required(context, 0, 'a diagram id or a source file');
  const theme = stringOption(context, 'theme') as never;
  const isFile = /\.[a-z]+$/i.test(target);
  const format = stringOption(context, 'source-format') ?? languageOfFile(target);
  if (isFile && !format) throw new CliUsageError(`cannot tell the source format of ${target}; use --source-format`);
  const share = isFile
    ? await context.client.shares.create({ source: await readFile(target, 'utf8'), source_format: format as never, theme })
    : await context.client.shares.create({ diagram_id: target, theme });
  context.print(share, `${new URL(share.url, context.baseUrl)}\n${new URL(share.png_url, context.baseUrl)}`);
  return 0;
}

export async function runUsage(context: CliContext): Promise<number> {
  const usage = await context.client.usage.get();
  const limit = (value: number | null) => (value === null ? 'unlimited' : String(value));
  context.print(usage, `plan ${usage.plan}\nexports ${usage.exports.used}/${limit(usage.exports.limit)}\nai ${usage.ai.used}/${limit(usage.ai.limit)}\nshares ${usage.shares.used}/${limit(usage.shares.limit)}`);
  return 0;
}

export async function runThemes(context: CliContext): Promise<number> {
  const themes = await context.client.themes.list();
  context.print(themes, table(themes.data.map((t) => [t.id.padEnd(14), t.tone.padEnd(5), t.description])));
  return 0;
}

export async function runKeys(context: CliContext): Promise<number> {
  const action = required(context, 0, 'an action: create, list or revoke');
  switch (action) {
    case 'create': {
      const scopes = stringOption(context, 'scopes')?.split(',').map((scope) => scope.trim());
      const key = await context.client.keys.create({ name: stringOption(context, 'name') ?? 'cli', scopes: scopes as never, ...(context.values.test ? { environment: 'test' } : {}) } as never);
      context.print(key, `✓ ${key.id}\n${key.secret}`);
      return 0;
    }
    case 'list': {
      const page = await context.client.keys.list();
      context.print(page, table(page.data.map((k) => [k.id, k.name ?? '', k.revoked_at ? 'revoked' : 'active'])));
      return 0;
    }
    case 'revoke': {
      const key = await context.client.keys.revoke(required(context, 1, 'a key id'));
      context.print(key, `✓ revoked ${key.id}`);
      return 0;
    }
    default:
      throw new CliUsageError(`Unknown action "${action}": create, list or revoke.`);
  }
}
