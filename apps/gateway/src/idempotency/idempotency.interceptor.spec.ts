import { canonical } from './idempotency.interceptor';

describe('canonical: the same request body, however its keys are ordered', () => {
  it('sorts object keys at every depth', () => {
    expect(canonical({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}');
    expect(canonical({ a: 1, b: 2 })).toBe(canonical({ b: 2, a: 1 }));
  });

  it('keeps array order, which is meaning', () => {
    expect(canonical([1, 2])).not.toBe(canonical([2, 1]));
  });

  it('writes scalars as JSON, and undefined as null', () => {
    expect([canonical('x"y'), canonical(3.5), canonical(true), canonical(null), canonical(undefined)]).toEqual(['"x\\"y"', '3.5', 'true', 'null', 'null']);
  });
});
