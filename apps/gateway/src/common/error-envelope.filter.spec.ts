import { HttpException } from '@nestjs/common';
import { ApiError } from './api-error';
import { toApiError } from './error-envelope.filter';

const request = { method: 'GET', url: '/api/v1/nowhere?x=1' };
const codeOf = (thrown: unknown) => toApiError(thrown, request);

describe('toApiError', () => {
  it('passes our own errors through as they are, not as unexpected', () => {
    const own = new ApiError('resource_not_found', 'No diagram with id "x".');
    expect(codeOf(own)).toEqual({ error: own, unexpected: false });
  });

  it.each([
    ['an oversized body', { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 'payload_too_large'],
    ['a body that is not JSON', { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }, 'unsupported_media_type'],
    ['malformed JSON', { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }, 'invalid_json'],
    ['an empty JSON body', { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 }, 'invalid_json'],
    ['a SyntaxError at 400', Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 }), 'invalid_json'],
    ['an unknown route', new HttpException('Not Found', 404), 'resource_not_found'],
    ['another 4xx of the framework', new HttpException('Bad thing', 400), 'invalid_parameter'],
  ])('maps %s to %s', (_, thrown, code) => {
    const { error, unexpected } = codeOf(thrown);
    expect({ code: error.code, unexpected }).toEqual({ code, unexpected: false });
  });

  it('names the method and path (without the query) of an unknown route', () => {
    expect(codeOf(new HttpException('Not Found', 404)).error.message).toBe('Unrecognized request URL (GET /api/v1/nowhere).');
  });

  it('answers an outage with a retryable 503 and logs it as unexpected', () => {
    const outage = Object.assign(new Error("Can't reach database server"), { name: 'PrismaClientKnownRequestError', code: 'P1001' });
    const { error, unexpected } = codeOf(outage);
    expect({ code: error.code, status: error.status, retryAfter: error.options.headers?.['Retry-After'], unexpected }).toEqual({ code: 'service_unavailable', status: 503, retryAfter: '5', unexpected: true });
    expect(codeOf(new Error('Connection is closed.')).error.code).toBe('service_unavailable');
  });

  it('answers anything else with a 500 that tells the caller nothing of the inside', () => {
    const { error, unexpected } = codeOf(new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect({ code: error.code, status: error.status, unexpected }).toEqual({ code: 'internal_error', status: 500, unexpected: true });
    expect(error.message).not.toContain('undefined');
    expect(codeOf(undefined).error.code).toBe('internal_error');
  });
});
