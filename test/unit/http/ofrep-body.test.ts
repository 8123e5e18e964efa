import { describe, expect, it } from 'vitest';
import { decodeOfrepBody } from '../../../src/http/edge/ofrep-body.js';

const nested = (depth: number) => `{"context":{"a":${'['.repeat(depth - 2)}${']'.repeat(depth - 2)}}}`;

describe('decodeOfrepBody (flagd OFREP body reading)', () => {
  it('reads the context, ignoring data after the first JSON value', () => {
    expect(decodeOfrepBody('{"context":{"targetingKey":"alice","n":1}} trailing')).toEqual({ targetingKey: 'alice', n: 1 });
    expect(decodeOfrepBody('')).toEqual({});
    expect(decodeOfrepBody('null')).toEqual({});
  });

  it('refuses what Go refuses: not an object, a float64 overflow, nesting past encoding/json maxNestingDepth (10,000)', () => {
    expect(decodeOfrepBody('[1]')).toBeNull();
    expect(decodeOfrepBody('{"context":{"n":1e400}}')).toBeNull();
    expect(decodeOfrepBody(nested(10_001))).toBeNull();
    expect(decodeOfrepBody(nested(500_000))).toBeNull();
  });

  it('accepts a context as deep as Go accepts without overflowing the stack', () => {
    const ctx = decodeOfrepBody(nested(10_000));
    expect(ctx).not.toBeNull();
    let v: unknown = ctx?.a;
    let depth = 2;
    while (Array.isArray(v) && v.length > 0) { v = v[0]; depth++; }
    expect(depth).toBe(9_999);
  });

  it('replaces lone surrogates with U+FFFD in keys and strings, as Go decodes them', () => {
    expect(decodeOfrepBody('{"context":{"k\\ud800":["x\\udc00"]}}')).toEqual({ 'k\ufffd': ['x\ufffd'] });
  });
});
