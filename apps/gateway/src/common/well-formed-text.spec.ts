import { ApiError } from './api-error';
import { assertWellFormedText, findIllFormedText, malformedQueryError, malformedQueryParameter } from './well-formed-text';

describe('findIllFormedText', () => {
  it('passes well-formed text, surrogate pairs (emoji) included', () => {
    expect(findIllFormedText({ name: 'Ω≈ç √ 田中さん 👨‍👩‍👧‍👦', source: 'graph TD\n A-->B', n: 1, ok: true, none: null })).toBeNull();
    expect(findIllFormedText(['\uD83D\uDCA5', '\uFFFF', '\uFEFF', '%00', '\\u0000'])).toBeNull();
    expect(findIllFormedText('')).toBeNull();
    expect(findIllFormedText(undefined)).toBeNull();
  });

  it('finds NUL anywhere in a string', () => {
    expect(findIllFormedText({ name: '\u0000' })).toEqual({ path: 'name', reason: 'nul' });
    expect(findIllFormedText({ name: 'ok', source: 'graph TD\n A-->B\u0000' })).toEqual({ path: 'source', reason: 'nul' });
  });

  it('finds a lone high surrogate, a lone low surrogate and a pair in the wrong order', () => {
    expect(findIllFormedText({ prompt: 'a\uD800' })).toEqual({ path: 'prompt', reason: 'surrogate' });
    expect(findIllFormedText({ prompt: '\uD800b' })).toEqual({ path: 'prompt', reason: 'surrogate' });
    expect(findIllFormedText({ prompt: '\uDC00' })).toEqual({ path: 'prompt', reason: 'surrogate' });
    expect(findIllFormedText({ prompt: '\uDC00\uD800' })).toEqual({ path: 'prompt', reason: 'surrogate' });
    expect(findIllFormedText({ prompt: '💥\uDFFF' })).toEqual({ path: 'prompt', reason: 'surrogate' });
  });

  it('names nested fields as class-validator does, and reports the first field of the body', () => {
    expect(findIllFormedText({ scopes: ['diagrams:read', 'x\u0000'] })).toEqual({ path: 'scopes.1', reason: 'nul' });
    expect(findIllFormedText({ a: { b: { c: '\uD800' } } })).toEqual({ path: 'a.b.c', reason: 'surrogate' });
    expect(findIllFormedText({ name: '\uD800', context: '\u0000' })).toEqual({ path: 'name', reason: 'surrogate' });
  });

  it('checks keys too: a bad key is the field at fault', () => {
    expect(findIllFormedText({ 'na\u0000me': 'x' })).toEqual({ path: 'na\u0000me', reason: 'nul' });
    expect(findIllFormedText({ nested: { '\uDC00': 1 } })).toEqual({ path: 'nested.\uDC00', reason: 'surrogate' });
  });

  it('prefixes a root: a query or path value is named by its parameter', () => {
    expect(findIllFormedText('abc\u0000', 'id')).toEqual({ path: 'id', reason: 'nul' });
    expect(findIllFormedText({ cursor: '\u0000' }, '')).toEqual({ path: 'cursor', reason: 'nul' });
  });

  it('walks deep and wide values without recursion', () => {
    let deep: unknown = 'leaf\u0000';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(findIllFormedText(deep)?.reason).toBe('nul');
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'fine']));
    expect(findIllFormedText(wide)).toBeNull();
  });
});

describe('assertWellFormedText', () => {
  const thrown = (value: unknown, root?: string) => {
    try {
      assertWellFormedText(value, root);
    } catch (error) {
      return error as ApiError;
    }
    return undefined;
  };

  it('throws 400 invalid_parameter naming the field, with a message that says what is wrong', () => {
    expect(thrown({ name: 'a\u0000' })?.toErrorObject()).toEqual({ type: 'invalid_request_error', code: 'invalid_parameter', param: 'name', message: 'name must not contain NUL characters (U+0000).' });
    expect(thrown({ source: '\uD800' })?.toErrorObject()).toEqual({ type: 'invalid_request_error', code: 'invalid_parameter', param: 'source', message: 'source holds a lone UTF-16 surrogate: it is not valid Unicode text.' });
    expect(thrown('x\u0000', 'id')?.toErrorObject()).toMatchObject({ param: 'id' });
    expect(thrown('\u0000')?.toErrorObject()).toMatchObject({ param: 'body' });
  });

  it('lets well-formed values through', () => {
    expect(thrown({ name: 'fine', scopes: ['diagrams:read'] })).toBeUndefined();
  });
});

describe('malformedQueryParameter', () => {
  it('passes queries that decode, and URLs without a query or without any escape', () => {
    expect(malformedQueryParameter('/api/v1/diagrams')).toBeNull();
    expect(malformedQueryParameter('/api/v1/diagrams?limit=5&cursor=abc')).toBeNull();
    expect(malformedQueryParameter('/api/v1/beautify.svg?source=a%20b%C3%A9%F0%9F%92%A5&theme=dark+mode')).toBeNull();
    // A NUL decodes; the validation pipe refuses it with the parameter's name (findIllFormedText).
    expect(malformedQueryParameter('/x?page=%00')).toBeNull();
    // Only the query counts: a bad path escape is the router's to refuse.
    expect(malformedQueryParameter('/x/%zz?a=1')).toBeNull();
  });

  it('names the parameter whose value holds bytes that are not UTF-8: a lone surrogate in CESU-8, a stray %, a cut sequence', () => {
    expect(malformedQueryParameter('/x?limit=1&page=1%ED%A0%80x')).toBe('page');
    expect(malformedQueryParameter('/x?cursor=%zz')).toBe('cursor');
    expect(malformedQueryParameter('/x?a=1&source=%E0%A4')).toBe('source');
    expect(malformedQueryParameter('/x?flag')).toBeNull();
  });

  it('names a parameter whose own name does not decode by its raw text, and decodes one that does', () => {
    expect(malformedQueryParameter('/x?na%ffme=1')).toBe('na%ffme');
    expect(malformedQueryParameter('/x?the+name=%ff')).toBe('the name');
  });

  it('is 400 invalid_parameter naming the parameter', () => {
    expect(malformedQueryError('/x?page=%ff')?.toErrorObject()).toEqual({ type: 'invalid_request_error', code: 'invalid_parameter', param: 'page', message: 'page holds malformed percent-encoding: it is not UTF-8 text.' });
    expect(malformedQueryError('/x?page=1')).toBeNull();
  });
});
