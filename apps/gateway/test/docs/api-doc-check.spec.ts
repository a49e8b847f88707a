import { ERROR_CATALOG } from '@flowsmith/contracts';
import { apiDocProblems } from './api-doc-check';
import { shellLines } from './markdown';

const errorTable = [
  '## Errors',
  '',
  '| code | HTTP | type | meaning |',
  '|---|---|---|---|',
  ...Object.entries(ERROR_CATALOG).map(([code, { status, type }]) => `| \`${code}\` | ${status} | ${type} | … |`),
].join('\n');

const document = {
  paths: {
    '/api/v1/things/{id}': {
      get: { parameters: [{ name: 'id', in: 'path' }, { name: 'theme', in: 'query' }], 'x-error-codes': ['resource_not_found', 'rate_limited'] },
      patch: {
        parameters: [{ name: 'id', in: 'path' }],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Patch' } } } },
        'x-error-codes': ['parse_failed'],
      },
    },
  },
  components: { schemas: { Patch: { properties: { name: {}, source: {} } } } },
};

const complete = [
  '# API',
  '### GET /api/v1/things/{id}',
  'Path `id`, query `theme`. Errors: `resource_not_found`.',
  '```sh',
  '### not a heading in a code block',
  '```',
  '### PATCH /api/v1/things/{id}',
  'Path `id`; any of `name`, `source`. Errors: `parse_failed`. Answers `{"object":',
  '"thing"}`.',
  '```json',
  '{ "error": "`theme` in a code block names nothing" }',
  '```',
  errorTable,
].join('\n');

describe('apiDocProblems', () => {
  it('finds nothing when every operation, name and code is there', () => {
    expect(apiDocProblems(document, complete)).toEqual([]);
  });

  it('names a missing section, an extra one, a parameter, a body field and a code not named', () => {
    const markdown = complete
      .replace('### GET /api/v1/things/{id}', '### GET /api/v1/thing/{id}')
      .replace('any of `name`, `source`', 'any of `name`, source')
      .replace('Errors: `parse_failed`.', '');
    expect(apiDocProblems(document, markdown)).toEqual([
      'GET /api/v1/things/{id}: an operation of the OpenAPI document without a "### GET /api/v1/things/{id}" section in docs/api.md',
      'PATCH /api/v1/things/{id}: body field `source` is not named in its section of docs/api.md',
      'PATCH /api/v1/things/{id}: error code `parse_failed` is not named in its section of docs/api.md',
      'GET /api/v1/thing/{id}: a section of docs/api.md, but not an operation of the OpenAPI document',
    ]);
    expect(apiDocProblems(document, complete.replace('query `theme`', 'query theme'))).toEqual([
      'GET /api/v1/things/{id}: parameter `theme` is not named in its section of docs/api.md',
    ]);
  });

  it('names an error code missing from the table, one with the wrong status, and one the catalogue lacks', () => {
    const markdown = complete
      .replace(/^\| `folder_not_empty` .*\n/m, '')
      .replace('| `render_timeout` | 504 |', '| `render_timeout` | 503 |')
      .concat('\n| `teapot` | 418 | api_error | … |');
    expect(apiDocProblems(document, markdown)).toEqual([
      'error code `folder_not_empty` (409 invalid_request_error) is missing from the error table of docs/api.md',
      'error code `render_timeout`: the error table says 503 api_error, the catalogue 504 api_error',
      'error code `teapot` is in the error table of docs/api.md but not in the catalogue (libs/contracts/src/errors.ts)',
    ]);
  });
});

describe('shellLines', () => {
  it('joins continued lines and skips blank ones, in sh blocks only', () => {
    const markdown = ['```sh', 'curl -f a \\', '  -d x', '', 'echo b', '```', '```json', 'curl no', '```'].join('\n');
    expect(shellLines(markdown)).toEqual(['curl -f a    -d x', 'echo b']);
  });
});
