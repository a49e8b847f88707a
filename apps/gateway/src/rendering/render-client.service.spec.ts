import { failureToError, matchesEtag } from './render-client.service';

describe('failureToError: what a worker reports about a source, as API errors', () => {
  it('a source that does not parse is parse_failed on the source parameter, with the parser message', () => {
    const error = failureToError({ code: 'parse_failed', message: 'Parse error on line 3', line: 3 }, 'source');
    expect({ code: error.code, status: error.status, message: error.message, param: error.options.param }).toEqual({ code: 'parse_failed', status: 400, message: 'Parse error on line 3', param: 'source' });
  });

  it('a picture too large points at the scale', () => {
    const error = failureToError({ code: 'output_too_large', message: 'The picture is too large.' });
    expect({ code: error.code, param: error.options.param }).toEqual({ code: 'output_too_large', param: 'scale' });
  });

  it('a render past its budget is render_timeout (504) with advice, not the worker text', () => {
    const error = failureToError({ code: 'render_timeout', message: 'page timed out after 8000 ms' });
    expect({ code: error.code, status: error.status }).toEqual({ code: 'render_timeout', status: 504 });
    expect(error.message).toMatch(/10 seconds/);
  });

  it('a format the worker cannot render is invalid_parameter on source_format', () => {
    const error = failureToError({ code: 'unsupported_format', message: 'Rendering x sources is not available in this version.' });
    expect({ code: error.code, param: error.options.param }).toEqual({ code: 'invalid_parameter', param: 'source_format' });
  });
});

describe('matchesEtag', () => {
  it.each([
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abd"', false],
  ])('If-None-Match %s against "abc": %s', (header, expected) => {
    expect(matchesEtag(header, '"abc"')).toBe(expected);
  });
});
