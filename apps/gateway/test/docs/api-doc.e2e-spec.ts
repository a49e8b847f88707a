import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunningGateway, startGateway, TestClient } from '@flowsmith/testing';
import { createGateway } from '../../src/gateway';
import { apiDocProblems } from './api-doc-check';

// docs/api.md against the OpenAPI document a gateway serves: when a route, parameter, body field or
// error code changes in the code, this names the section of the page to change with it.
describe('docs/api.md', () => {
  let gateway: RunningGateway;
  let document: unknown;

  beforeAll(async () => {
    gateway = await startGateway(createGateway);
    const response = await new TestClient(gateway.url).get('/api/openapi.json');
    expect(response.status).toBe(200);
    document = response.body;
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('has a section for every operation of the OpenAPI document, and only those, naming every parameter, body field and error code, and the whole error catalogue', () => {
    const markdown = readFileSync(join(__dirname, '../../../../docs/api.md'), 'utf8');
    expect(apiDocProblems(document, markdown)).toEqual([]);
  });
});
