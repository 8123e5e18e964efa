/**
 * flagd conformance of the custom operators (flagd.dev custom operations, flagd-testbed edge
 * cases: operator errors return null) and of `$ref` evaluators. Whole flagd-format flags are
 * in flagd-flags.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  compileFlag,
  endsWith,
  evaluate,
  fractional,
  semVer,
  startsWith,
  type CompiledFlagdFlag,
  type DecisionInput,
} from '../../../src/core/index.js';

function input(targetingKey: string, properties: Record<string, unknown> = {}): DecisionInput {
  return { distinctId: targetingKey, bucketingKey: targetingKey, properties, cohorts: new Set(), cohortStatus: new Map(), now: 1_700_000_000_000 };
}

function flag(raw: Record<string, unknown>): CompiledFlagdFlag {
  const result = compileFlag(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  if (result.def.format !== 'flagd') throw new Error('expected a flagd flag');
  return result.def;
}

describe('starts_with / ends_with', () => {
  it.each([
    [['192.168.0.1', '192.168'], true],
    [['10.0.0.1', '192.168'], false],
    [['', ''], true],
  ])('starts_with %j -> %j', (args, expected) => expect(startsWith(args)).toBe(expected));

  it.each([
    [['noreply@example.com', '@example.com'], true],
    [['noreply@example.com', '@test.com'], false],
  ])('ends_with %j -> %j', (args, expected) => expect(endsWith(args)).toBe(expected));

  it.each([[[123, 'abc']], [['abc', 3]], [[null, 'a']], [['abc']], [['a', 'b', 'c']], [[]]])(
    'returns null (operator error) for %j',
    (args) => {
      expect(startsWith(args)).toBeNull();
      expect(endsWith(args)).toBeNull();
    },
  );
});

describe('sem_ver', () => {
  it.each([
    [['1.0.0', '>', '0.1.0'], true],
    [['1.0.0', '>', '1.0.0'], false],
    [['v1.2', '=', '1.2.0'], true],
    [['1', '=', '1.0.0'], true],
    [['V1.0.0', '=', 'v1.0.0'], true],
    [[1, '^', '1'], true],
    [[1.5, '>', '1.1'], true],
    [['1.0.0+other', '=', '1.0.0+build'], true],
    [['2.0.0-alpha', '<', '2.0.0'], true],
    [['1.0.0-alpha.2', '<', '1.0.0-alpha.10'], true],
    [['1.0.0-alpha.beta', '>', '1.0.0-alpha.1'], true],
    [['1.0.0-alpha', '<', '1.0.0-alpha.1'], true],
    [['1.2.3', '^', '1.5.6'], true],
    [['2.2.3', '^', '1.2.3'], false],
    [['1.2.3', '~', '1.2.6'], true],
    [['1.3.3', '~', '1.2.6'], false],
    [['3.0.1', '~', '3.0.0'], true],
    [['0.0.1', '<=', '0.0.1'], true],
    [['0.0.2', '!=', '0.0.1'], true],
    [['10.0.0', '>', '9.0.0'], true],
    [['1.0.0', '>=', '1.0.0'], true],
    [['1.0.0', '<', '1.0.1'], true],
  ])('%j -> %j', (args, expected) => expect(semVer(args)).toBe(expected));

  it.each([
    [['not-a-version', '=', '1.0.0']],
    [['1.0.0', '===', '1.0.0']],
    [['1.0.0', 1, '1.0.0']],
    [['2.0.0.0', '=', '2.0.0']],
    [['01.0.0', '=', '1.0.0']],
    [['1.0-beta', '=', '1.0.0']],
    [[null, '=', '1.0.0']],
    [[{ version: '1' }, '=', '1.0.0']],
    [['1.0.0', '=']],
    ['1.0.0'],
  ])('returns null (operator error) for %j', (args) => {
    expect(semVer(Array.isArray(args) ? args : [args])).toBeNull();
  });
});

describe('fractional', () => {
  const data = (targetingKey?: unknown, flagKey = 'flag') => ({ targetingKey, $flagd: { flagKey, timestamp: 0 } });

  it('hashes flagKey + targetingKey when no bucketing expression is given', () => {
    expect(fractional([['heads'], ['tails', 1]], data('jon@company.com', 'fractional-flag-shorthand'))).toBe('heads');
    expect(fractional([['heads'], ['tails', 1]], data('jane@company.com', 'fractional-flag-shorthand'))).toBe('tails');
  });

  it('hashes the evaluated bucketing string alone when one is given', () => {
    // Testbed preimages: hash("SI7p-") = 2^31 - 1 -> lower half, hash("6LvT0") = 2^31 -> upper half.
    expect(fractional(['SI7p-', ['lower', 50], ['upper', 50]], data('ignored'))).toBe('lower');
    expect(fractional(['6LvT0', ['lower', 50], ['upper', 50]], data('ignored'))).toBe('upper');
    expect(fractional(['ejOoVL', ['lower', 50], ['upper', 50]], data())).toBe('lower');
    expect(fractional(['ceQdGm', ['lower', 50], ['upper', 50]], data())).toBe('upper');
  });

  it('drops a bucketing expression that evaluated to null and falls back to the targetingKey', () => {
    const withNull = fractional([null, ['heads'], ['tails', 1]], data('jane@company.com', 'fractional-flag-shorthand'));
    expect(withNull).toBe('tails');
  });

  it('uses weights, clamps negative ones to 0 and accepts non-string variants', () => {
    expect(fractional(['any', ['one', -50], ['two', 100]], data())).toBe('two');
    expect(fractional(['any', ['only', 1]], data())).toBe('only');
    expect(fractional([[false, 0], [true, 100]], data('some-targeting-key'))).toBe(true);
    expect(fractional([[false, 100], [true, 0]], data('some-targeting-key'))).toBe(false);
  });

  it.each([
    ['no arguments', [], data('u')],
    ['no buckets', ['key'], data('u')],
    ['no targetingKey', [['a', 50], ['b', 50]], data(undefined)],
    ['empty targetingKey', [['a', 50], ['b', 50]], data('')],
    ['non-string targetingKey', [['a', 50], ['b', 50]], data(42)],
    ['all weights 0', ['k', ['a', 0], ['b', 0]], data('u')],
    ['non-integer weight', ['k', ['a', 50.5], ['b', 49.5]], data('u')],
    ['non-numeric weight', ['k', ['a', '50'], ['b', 50]], data('u')],
    ['bucket not an array', ['k', 'a', ['b', 50]], data('u')],
    ['empty bucket', ['k', [], ['b', 50]], data('u')],
    ['object variant', ['k', [{ a: 1 }, 50]], data('u')],
    ['numeric bucketing value', [42, ['a', 50], ['b', 50]], data('u')],
    ['weights over 2^31 - 1', ['k', ['a', 2 ** 31 - 1], ['b', 1]], data('u')],
  ])('returns null for %s', (_name, args, context) => {
    expect(fractional(args as unknown[], context)).toBeNull();
  });

  it('distributes evenly (weights 25/25/25/25 over 40,000 keys)', () => {
    const counts = new Map<unknown, number>();
    for (let i = 0; i < 40_000; i++) {
      const v = fractional([['a', 25], ['b', 25], ['c', 25], ['d', 25]], data(`user-${i}`));
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    for (const v of ['a', 'b', 'c', 'd']) expect(Math.abs((counts.get(v) ?? 0) / 40_000 - 0.25)).toBeLessThan(0.01);
  });
});

describe('$ref evaluators', () => {
  it('resolves $ref evaluators, also nested ones; unknown refs and cycles fail when evaluated', () => {
    const base = { key: 'refs', state: 'ENABLED', variants: { hi: 'hi', bye: 'bye' }, defaultVariant: 'bye' };
    const $evaluators = { emailWithFaas: { in: ['@faas.com', { var: ['email'] }] }, faasOrStaff: { or: [{ $ref: 'emailWithFaas' }, { '==': [{ var: 'staff' }, true] }] } };
    const def = flag({ ...base, targeting: { if: [{ $ref: 'faasOrStaff' }, 'hi', null] }, $evaluators });
    expect(evaluate(def, input('u', { email: 'ballmer@faas.com' })).value).toBe('hi');
    expect(evaluate(def, input('u', { staff: true })).value).toBe('hi');
    expect(evaluate(def, input('u', { email: 'x@y.z' })).reason).toBe('DEFAULT');

    // flagd loads a document with an unknown or cyclic $ref; the leftover {"$ref": ...} is an
    // unknown operator when evaluated (PARSE_ERROR): flagd-testbed evaluator-refs.feature,
    // docs/flagd-semantics.md section 6.
    const unknown = flag({ ...base, targeting: { if: [{ $ref: 'nope' }, 'hi', null] } });
    expect(evaluate(unknown, input('u'))).toMatchObject({ reason: 'ERROR', error_code: 'PARSE_ERROR' });
    const cycle = flag({ ...base, targeting: { $ref: 'a' }, $evaluators: { a: { '!': [{ $ref: 'b' }] }, b: { '!': [{ $ref: 'a' }] } } });
    expect(evaluate(cycle, input('u'))).toMatchObject({ reason: 'ERROR', error_code: 'PARSE_ERROR' });
    const empty = compileFlag({ ...base, $evaluators: { none: {} } });
    expect(empty.ok ? [] : empty.errors).toEqual([{ path: '$evaluators.none', message: 'evaluator object is empty' }]);
  });
});
