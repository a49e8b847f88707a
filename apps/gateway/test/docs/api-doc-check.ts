import { ERROR_CATALOG, ErrorCode } from '@flowsmith/contracts';
import { codeSpans, markdownSections, tableRows } from './markdown';

// The OpenAPI document is JSON of any shape here; the checks read only what they name.
type Json = any;

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'];
const OPERATION_HEADING = /^(GET|PUT|POST|PATCH|DELETE|HEAD|OPTIONS) (\/\S*)$/;

/**
 * Codes docs/api.md lists once for every route of a kind ("Errors every route may answer"), so a
 * route's section names only the others.
 */
export const SHARED_ERROR_CODES: readonly ErrorCode[] = [
  'rate_limited', 'internal_error', 'service_unavailable',
  'invalid_api_key', 'not_authenticated', 'insufficient_scope', 'csrf_failed',
  'invalid_json', 'missing_parameter', 'invalid_parameter', 'payload_too_large', 'unsupported_media_type',
  'invalid_cursor', 'idempotency_conflict',
];

function deref(document: Json, schema: Json): Json {
  if (typeof schema?.$ref !== 'string') return schema;
  return schema.$ref.slice(2).split('/').reduce((node: Json, part: string) => node?.[part], document);
}

/** What docs/api.md must name for one operation: its parameters (path, query, header) and JSON body fields. */
function namesOf(document: Json, operation: Json): { parameters: string[]; body: string[] } {
  const parameters = (operation.parameters ?? []).map((p: Json) => deref(document, p).name as string);
  const schema = deref(document, operation.requestBody?.content?.['application/json']?.schema);
  return { parameters, body: Object.keys(schema?.properties ?? {}) };
}

/**
 * Where docs/api.md and the OpenAPI document disagree, one sentence each; empty when they agree.
 * Every operation has a `### METHOD /path` section that names (in code spans) each of its
 * parameters and body fields and each error code it may answer beyond SHARED_ERROR_CODES; every
 * such section is an operation; the table of "## Errors" lists every code of the catalogue with its
 * status and type, and no other code.
 */
export function apiDocProblems(document: Json, markdown: string): string[] {
  const problems: string[] = [];
  const sections = markdownSections(markdown);

  const documented = new Map<string, string>();
  for (const section of sections) {
    const match = OPERATION_HEADING.exec(section.title);
    if (!match) continue;
    const operation = `${match[1]} ${match[2]}`;
    if (section.level !== 3) problems.push(`docs/api.md: "${section.title}" is a level-${section.level} heading; operations are level 3 (### ${operation})`);
    if (documented.has(operation)) problems.push(`docs/api.md: ${operation} has two sections`);
    documented.set(operation, section.body);
  }

  const operations = new Map<string, Json>();
  for (const [path, item] of Object.entries<Json>(document.paths ?? {})) {
    for (const method of Object.keys(item)) if (METHODS.includes(method)) operations.set(`${method.toUpperCase()} ${path}`, item[method]);
  }

  for (const [name, operation] of operations) {
    const body = documented.get(name);
    if (body === undefined) {
      problems.push(`${name}: an operation of the OpenAPI document without a "### ${name}" section in docs/api.md`);
      continue;
    }
    const named = codeSpans(body);
    const { parameters, body: fields } = namesOf(document, operation);
    for (const parameter of parameters) if (!named.has(parameter)) problems.push(`${name}: parameter \`${parameter}\` is not named in its section of docs/api.md`);
    for (const field of fields) if (!named.has(field)) problems.push(`${name}: body field \`${field}\` is not named in its section of docs/api.md`);
    const codes: ErrorCode[] = operation['x-error-codes'] ?? [];
    for (const code of codes) {
      if (!SHARED_ERROR_CODES.includes(code) && !named.has(code)) problems.push(`${name}: error code \`${code}\` is not named in its section of docs/api.md`);
    }
  }
  for (const name of documented.keys()) {
    if (!operations.has(name)) problems.push(`${name}: a section of docs/api.md, but not an operation of the OpenAPI document`);
  }

  const errors = sections.find((section) => section.level === 2 && section.title === 'Errors');
  if (!errors) return [...problems, 'docs/api.md has no "## Errors" section with the error table'];
  const rows = new Map<string, string[]>();
  for (const cells of tableRows(errors.body)) {
    const code = /^`([a-z_]+)`$/.exec(cells[0] ?? '')?.[1];
    if (code) rows.set(code, cells);
  }
  for (const [code, { status, type }] of Object.entries(ERROR_CATALOG)) {
    const row = rows.get(code);
    if (!row) problems.push(`error code \`${code}\` (${status} ${type}) is missing from the error table of docs/api.md`);
    else if (row[1] !== String(status) || row[2] !== type) problems.push(`error code \`${code}\`: the error table says ${row[1]} ${row[2]}, the catalogue ${status} ${type}`);
  }
  for (const code of rows.keys()) if (!(code in ERROR_CATALOG)) problems.push(`error code \`${code}\` is in the error table of docs/api.md but not in the catalogue (libs/contracts/src/errors.ts)`);
  return problems;
}
