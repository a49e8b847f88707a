import { checkJsonShape, jsonShapeError, JsonShapeLimits, MAX_BODY_DEPTH, MAX_BODY_KEYS } from './json-body';

const LIMITS: JsonShapeLimits = { maxDepth: 4, maxKeys: 10 };
const check = (text: string, limits = LIMITS) => checkJsonShape(Buffer.from(text, 'utf8'), limits);
/** `count` keys in one object, as the red-team body had them. */
const manyKeys = (count: number, prefix = '') => `{${prefix}${Array.from({ length: count }, (_, i) => `"k${i}":"ab"`).join(',')}}`;

describe('checkJsonShape', () => {
  it('passes bodies within both limits, whatever their syntax (the parser after it judges that)', () => {
    expect(check('{}')).toBeNull();
    expect(check('')).toBeNull();
    expect(check('{"a":{"b":{"c":[1]}}}')).toBeNull(); // depth 4
    expect(check(manyKeys(10))).toBeNull();
    expect(check('[1,2,3,4,5,6,7,8,9,10]')).toBeNull();
    expect(check('{"a":[ ],"b":{}}')).toBeNull(); // empty containers hold no items
    expect(check('{"a":')).toBeNull();
    expect(check('not json at all')).toBeNull();
  });

  it('counts keys and array items of every level together', () => {
    expect(check(manyKeys(11))).toEqual({ kind: 'keys' });
    expect(check('[1,2,3,4,5,6,7,8,9,10,11]')).toEqual({ kind: 'keys' });
    // 5 keys + 6 items = 11.
    expect(check('{"a":1,"b":2,"c":3,"d":4,"e":[1,2,3,4,5,6]}')).toEqual({ kind: 'keys', field: 'e' });
    expect(check('[[1,2,3],[4,5],[6]]')).toBeNull(); // 3 items + 3 + 2 + 1
    expect(check('[[1,2,3],[4,5],[6,7,8]]')).toEqual({ kind: 'keys' });
  });

  it('refuses text nested deeper than the limit, the root container being level 1', () => {
    expect(check('[[[[1]]]]')).toBeNull();
    expect(check('[[[[[1]]]]]')).toEqual({ kind: 'depth' });
    expect(check('{"a":{"b":{"c":{"d":{}}}}}')).toEqual({ kind: 'depth', field: 'a' });
    // Closing brackets give the levels back.
    expect(check('{"a":[[[1]]],"b":[[[2]]],"c":[[[3]]]}', { maxDepth: 4, maxKeys: 100 })).toBeNull();
  });

  it('names the top-level field that holds the excess, and none when the root holds it', () => {
    expect(check(`{"name":"x","scopes":${manyKeys(20)}}`)).toEqual({ kind: 'keys', field: 'scopes' });
    expect(check('{"name":"x","page":[[[[[1]]]]]}')).toEqual({ kind: 'depth', field: 'page' });
    // A string value at the top level is not mistaken for the key that follows it.
    expect(check('{"name":"decoy","x":[[[[1]]]]}')).toEqual({ kind: 'depth', field: 'x' });
    // Keys with escapes and non-ASCII text are named as JSON decodes them.
    expect(check('{"na\\"me":[[[[1]]]]}')).toEqual({ kind: 'depth', field: 'na"me' });
    expect(check('{"größe":[[[[1]]]]}')).toEqual({ kind: 'depth', field: 'größe' });
  });

  it('ignores brackets, colons, commas and escaped quotes inside strings', () => {
    expect(check(`{"a":"${'[{'.repeat(50)}","b":"${':,'.repeat(50)}","c":"\\"[[[[[\\\\"}`)).toBeNull();
    expect(check(`["${',,,,,,,,,,,,,,'}"]`)).toBeNull();
    // The backslash before the closing quote is itself escaped: the string ends there.
    expect(check('{"a":"\\\\","b":[[[[1]]]]}')).toEqual({ kind: 'depth', field: 'b' });
  });

  it('stops at the first excess: a 940 KB body of 60,000 keys is refused in a few milliseconds', () => {
    const body = Buffer.from(`{"source":"flowchart TD\\n A-->B","source_format":"mermaid",${Array.from({ length: 60_000 }, (_, i) => `"k_${String(i).padStart(6, '0')}":"ab"`).join(',')}}`);
    expect(body.length).toBeGreaterThan(900_000);
    const limits = { maxDepth: MAX_BODY_DEPTH, maxKeys: MAX_BODY_KEYS };
    expect(checkJsonShape(body, limits)).toEqual({ kind: 'keys' });
    // Even a walk of the whole text (the excess at its very end) is linear: generous for a loaded machine.
    const late = Buffer.from(`{"a":"${'x'.repeat(1_000_000)}","b":${'['.repeat(40)}}`);
    const started = performance.now();
    expect(checkJsonShape(late, limits)).toEqual({ kind: 'depth', field: 'b' });
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('jsonShapeError', () => {
  it('answers invalid_parameter naming the field that holds the excess', () => {
    const error = jsonShapeError({ kind: 'keys', field: 'scopes' }, { maxDepth: 32, maxKeys: 1000 });
    expect(error.toErrorObject()).toMatchObject({ code: 'invalid_parameter', param: 'scopes', message: 'scopes holds more than 1,000 keys and array items.' });
    expect(jsonShapeError({ kind: 'depth', field: 'page' }, { maxDepth: 32, maxKeys: 1000 }).toErrorObject()).toMatchObject({ code: 'invalid_parameter', param: 'page' });
  });

  it('answers for the body itself without a param: invalid_json when too deep, invalid_parameter when too many keys', () => {
    expect(jsonShapeError({ kind: 'depth' }, { maxDepth: 32, maxKeys: 1000 }).toErrorObject()).toEqual({ type: 'invalid_request_error', code: 'invalid_json', message: 'The request body is nested more than 32 levels deep.' });
    const keys = jsonShapeError({ kind: 'keys' }, { maxDepth: 32, maxKeys: 1000 }).toErrorObject();
    expect(keys).toMatchObject({ code: 'invalid_parameter', message: 'The request body holds more than 1,000 keys and array items.' });
    expect(keys).not.toHaveProperty('param');
  });
});
