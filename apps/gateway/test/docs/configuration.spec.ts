import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { GatewayEnv, GenerationWorkerEnv, RenderWorkerEnv, WebhookWorkerEnv } from '@flowsmith/config';
import { tableRows } from './markdown';

const ROOT = join(__dirname, '../../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The processes of docs/configuration.md's "used by" column, each with what it reads. */
const SCHEMAS = { gateway: GatewayEnv, 'render worker': RenderWorkerEnv, 'generation worker': GenerationWorkerEnv, 'webhook worker': WebhookWorkerEnv } as const;

/** Every variable an env schema validates (each has at least one validator), with its default. */
function schemaVariables(schema: new () => object): Map<string, unknown> {
  const names = getMetadataStorage().getTargetValidationMetadatas(schema, '', true, false).map((m) => m.propertyName);
  const defaults = new schema() as Record<string, unknown>;
  return new Map([...new Set(names)].map((name) => [name, defaults[name]]));
}

/** Files under a folder, recursively, that pass `keep`. */
function filesUnder(folder: string, keep: (name: string) => boolean): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => join(entry.parentPath, entry.name).slice(ROOT.length + 1));
}

/** `process.env.NAME` reads of the CLI's sources: it has no schema. */
function cliVariables(): Set<string> {
  const sources = filesUnder('apps/cli/src', (name) => name.endsWith('.ts') && !name.endsWith('spec.ts'));
  return new Set(sources.flatMap((file) => [...read(file).matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1])));
}

/** Variables `npm run up` and `npm run down` read with a default of their own (`${NAME:-…}`). */
function scriptVariables(): Set<string> {
  const scripts = filesUnder('scripts', (name) => name.endsWith('.sh'));
  return new Set(scripts.flatMap((file) => [...read(file).matchAll(/\$\{([A-Z][A-Z0-9_]*):-/g)].map((m) => m[1])));
}

interface DocumentedVariable {
  name: string;
  defaultCell: string;
  usedBy: string[];
}

function documentedVariables(markdown: string): DocumentedVariable[] {
  return tableRows(markdown).flatMap((cells) => {
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[0])?.[1];
    return name ? [{ name, defaultCell: cells[1], usedBy: cells[2].split(',').map((s) => s.trim()) }] : [];
  });
}

describe('docs/configuration.md', () => {
  const documented = documentedVariables(read('docs/configuration.md'));
  const usedBy = (process: string) => documented.filter((v) => v.usedBy.includes(process)).map((v) => v.name).sort();

  it('lists each variable once', () => {
    const names = documented.map((v) => v.name);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect(names.length).toBeGreaterThan(60);
  });

  it.each(Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[])('names exactly the variables of the %s env schema, each with its default', (process) => {
    const variables = schemaVariables(SCHEMAS[process]);
    const listed = usedBy(process).filter((name) => !(process === 'gateway' && scriptVariables().has(name) && !variables.has(name)));
    expect({ process, undocumented: [...variables.keys()].filter((name) => !listed.includes(name)) }).toEqual({ process, undocumented: [] });
    expect({ process, notInTheSchema: listed.filter((name) => !variables.has(name)) }).toEqual({ process, notInTheSchema: [] });
    const wrongDefaults = documented
      .filter((v) => variables.has(v.name) && variables.get(v.name) !== undefined && !v.defaultCell.includes(`\`${String(variables.get(v.name))}\``))
      .map((v) => `${v.name}: the page says ${v.defaultCell}, the schema \`${String(variables.get(v.name))}\``);
    expect(wrongDefaults).toEqual([]);
  });

  it('names exactly the variables the CLI reads', () => {
    expect(usedBy('CLI')).toEqual([...cliVariables()].sort());
  });

  it('names exactly the variables npm run up reads with defaults of its own', () => {
    expect(usedBy('npm run up')).toEqual([...scriptVariables()].sort());
  });

  it('names no process but the known ones', () => {
    const known = [...Object.keys(SCHEMAS), 'CLI', 'npm run up'];
    expect(documented.filter((v) => v.usedBy.some((p) => !known.includes(p))).map((v) => `${v.name}: ${v.usedBy.join(', ')}`)).toEqual([]);
  });
});
