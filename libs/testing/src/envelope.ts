import type { TestResponse } from './http-client';

/** Asserts docs/api.md's error envelope: status, type, code, param, and a request id that matches the header. */
export function expectError(
  response: TestResponse,
  expected: { status: number; type: string; code: string; param?: string; message?: string | RegExp },
): void {
  const requestId = response.headers.get('x-request-id');
  expect({ status: response.status, type: response.body?.error?.type, code: response.body?.error?.code }).toEqual({
    status: expected.status,
    type: expected.type,
    code: expected.code,
  });
  expect(requestId).toMatch(/^req_[0-9a-f]{16}$/);
  expect(response.body.request_id).toBe(requestId);
  expect(typeof response.body.error.message).toBe('string');
  if ('param' in expected) expect(response.body.error.param).toBe(expected.param);
  if (expected.message instanceof RegExp) expect(response.body.error.message).toMatch(expected.message);
  else if (expected.message !== undefined) expect(response.body.error.message).toBe(expected.message);
  expect(JSON.stringify(response.body)).not.toMatch(/\bat .+\.(js|ts):\d+/); // never a stack
}
