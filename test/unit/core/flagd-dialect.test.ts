/**
 * The pieces of Go's semantics the flagd dialect is built on (src/core/evaluate/flagd-go-*.ts;
 * Go's strconv and encoding/json, diegoholiveira/jsonlogic v3), checked with values whose Go
 * output is documented in the Go standard library, and a property test that the dialect
 * only ever fails the way the Go library does (a panic, an unencodable result), never with
 * an error of its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyFlagdLogic, FLAGD_LOGIC_OPERATORS, formatFloatF, formatFloatV, GoJsonError, goJsonEncode, GoPanic, parseGoFloat } from '../../../src/core/index.js';

describe("strconv.FormatFloat(x, 'f', -1, 64) (cat, substr, var paths)", () => {
  it.each([
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [1e-7, '0.0000001'],
    [0.1, '0.1'],
    [123.456, '123.456'],
    [-0, '-0'],
    [0, '0'],
    [-2.5, '-2.5'],
    [1.2345e25, '12345000000000000000000000'],
    [Number.NaN, 'NaN'],
    [Infinity, '+Inf'],
  ])('%s -> %s', (x, text) => expect(formatFloatF(x)).toBe(text));
});

describe("fmt's %v of a float64 (sem_ver operands)", () => {
  it.each([
    [999999, '999999'],
    [1e6, '1e+06'],
    [1234567, '1.234567e+06'],
    [1.5, '1.5'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-1e21, '-1e+21'],
    [1e100, '1e+100'],
  ])('%s -> %s', (x, text) => expect(formatFloatV(x)).toBe(text));
});

describe('strconv.ParseFloat (typing.ToNumber, javascript.ToNumber)', () => {
  it.each([
    ['1', 1],
    ['-1.5e3', -1500],
    ['.5', 0.5],
    ['5.', 5],
    ['inf', Infinity],
    ['-Infinity', -Infinity],
    ['0x1p-2', 0.25],
    ['1e400', Infinity],
  ])('%j -> %s', (text, value) => expect(parseGoFloat(text)).toBe(value));

  it('reads NaN', () => expect(parseGoFloat('NaN')).toBeNaN());

  it.each([' 1', '1 ', '1_000', '.', '1e', '+nan', '0x1', 'infin', '', 'abc'])('refuses %j', (text) => expect(parseGoFloat(text)).toBeNull());
});

describe("encoding/json Marshal (the targeting result's text)", () => {
  it('sorts keys, escapes HTML characters and keeps the sign of zero', () => {
    expect(goJsonEncode({ b: 1, a: [-0, '<&>'] })).toBe('{"a":[-0,"\\u003c\\u0026\\u003e"],"b":1}');
  });

  it('escapes controls, quotes and the JavaScript line separators as Go does', () => {
    expect(goJsonEncode('a"b\\c\t\n\u0001\u2028\u2029')).toBe('"a\\"b\\\\c\\t\\n\\u0001\\u2028\\u2029"');
    expect(goJsonEncode('é🙂')).toBe('"é🙂"');
  });

  it('writes numbers as Go does', () => {
    expect([1e21, 1e-7, 1.5, 100, 2e20].map(goJsonEncode)).toEqual(['1e+21', '1e-7', '1.5', '100', '200000000000000000000']);
  });

  it('cannot encode NaN or infinities', () => {
    expect(() => goJsonEncode([Number.NaN])).toThrow(GoJsonError);
    expect(() => goJsonEncode(Infinity)).toThrow(GoJsonError);
  });
});

describe('the dialect fails only as the Go library fails', () => {
  const operators = [...FLAGD_LOGIC_OPERATORS, 'unknown_op'];
  const scalar = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: false }), fc.constantFrom('', 'a', 'x.y', '1', ' 2', '1.0.0', 'v2', 'targetingKey'));
  const { expr } = fc.letrec((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.array(tie('expr'), { maxLength: 4 }),
      fc.record({ op: fc.constantFrom(...operators), args: fc.oneof(tie('expr'), fc.array(tie('expr'), { maxLength: 4 })) }).map(({ op, args }) => ({ [op]: args })),
      fc.dictionary(fc.constantFrom('a', 'b', 'var'), tie('expr'), { maxKeys: 3 }),
    ),
  }));
  const context = fc.dictionary(fc.constantFrom('a', 'x', 'l', 'targetingKey'), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.constantFrom('y', 'z'), scalar)));

  it('returns a JSON value or throws GoPanic / GoJsonError, for any expression and context', () => {
    fc.assert(
      fc.property(expr, context, (rule, ctx) => {
        const data = { ...ctx, $flagd: { flagKey: 'f', timestamp: 1_700_000_000 } };
        try {
          goJsonEncode(applyFlagdLogic(rule, data));
        } catch (error) {
          if (!(error instanceof GoPanic || error instanceof GoJsonError)) throw error;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
