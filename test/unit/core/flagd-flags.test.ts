/**
 * flagd-format flags evaluated end to end with the vectors of open-feature/flagd-testbed
 * (gherkin/targeting.feature, flags/custom-ops.json and edge-case-flags.json; fractional v2).
 */
import { describe, expect, it } from 'vitest';
import { compileFlag, evaluate, type CompiledFlagdFlag, type DecisionInput } from '../../../src/core/index.js';

function input(targetingKey: string, properties: Record<string, unknown> = {}): DecisionInput {
  return { distinctId: targetingKey, bucketingKey: targetingKey, properties, cohorts: new Set(), cohortStatus: new Map(), now: 1_700_000_000_000 };
}

function flag(raw: Record<string, unknown>): CompiledFlagdFlag {
  const result = compileFlag(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  if (result.def.format !== 'flagd') throw new Error('expected a flagd flag');
  return result.def;
}

describe('flagd-format flags (flagd-testbed vectors)', () => {
  const suits = { clubs: 'clubs', diamonds: 'diamonds', hearts: 'hearts', spades: 'spades', wild: 'wild' };
  const buckets = [['clubs', 25], ['diamonds', 25], ['hearts', 25], ['spades', 25]];

  it.each([
    ['jack', 'hearts'],
    ['queen', 'spades'],
    ['ten', 'clubs'],
    ['nine', 'diamonds'],
    ['3', 'clubs'],
  ])('fractional-flag: user.name %s -> %s', (name, value) => {
    const def = flag({ key: 'fractional-flag', state: 'ENABLED', variants: suits, defaultVariant: 'wild', targeting: { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'user.name' }] }, ...buckets] } });
    const decision = evaluate(def, input('someone', { user: { name } }));
    expect([decision.value, decision.reason]).toEqual([value, 'TARGETING_MATCH']);
  });

  it.each([
    ['seven', 'hearts'],
    ['eight', 'diamonds'],
    ['nine', 'clubs'],
    ['two', 'spades'],
  ])('shared seed: user.name %s -> %s', (name, value) => {
    const def = flag({ key: 'fractional-flag-A-shared-seed', state: 'ENABLED', variants: suits, defaultVariant: 'wild', targeting: { fractional: [{ cat: ['shared-seed', { var: 'user.name' }] }, ...buckets] } });
    expect(evaluate(def, input('someone', { user: { name } })).value).toBe(value);
  });

  it.each([
    ['jon@company.com', 'premium', 'premium'],
    ['jon@company.com', 'basic', 'standard'],
    ['user1', 'premium', 'standard'],
  ])('nested if as a variant name: %s (%s) -> %s', (targetingKey, tier, value) => {
    const def = flag({
      key: 'fractional-nested-if-flag',
      state: 'ENABLED',
      variants: { premium: 'premium', standard: 'standard', fallback: 'fallback' },
      defaultVariant: 'fallback',
      targeting: { fractional: [{ var: 'targetingKey' }, [{ if: [{ '==': [{ var: 'tier' }, 'premium'] }, 'premium', 'standard'] }, 50], ['standard', 50]] },
    });
    expect(evaluate(def, input(targetingKey, { tier })).value).toBe(value);
  });

  it.each([
    ['jon@company.com', 'premium', 'red'],
    ['jon@company.com', 'basic', 'blue'],
    ['user1', 'premium', 'red'],
    ['user1', 'basic', 'blue'],
  ])('nested if as a weight: %s (%s) -> %s', (targetingKey, tier, value) => {
    const def = flag({
      key: 'fractional-nested-weight-flag',
      state: 'ENABLED',
      variants: { red: 'red', blue: 'blue', fallback: 'fallback' },
      defaultVariant: 'fallback',
      targeting: { fractional: [{ var: 'targetingKey' }, ['red', { if: [{ '==': [{ var: 'tier' }, 'premium'] }, 100, 0] }], ['blue', 10]] },
    });
    expect(evaluate(def, input(targetingKey, { tier })).value).toBe(value);
  });

  it('fractional as a condition', () => {
    const variants = { big: 'hundreds', small: 'ones', fallback: 'zero' };
    const yes = flag({ key: 'c1', state: 'ENABLED', variants, defaultVariant: 'fallback', targeting: { if: [{ fractional: [[false, 0], [true, 100]] }, 'big', 'small'] } });
    const no = flag({ key: 'c2', state: 'ENABLED', variants, defaultVariant: 'fallback', targeting: { if: [{ fractional: [[false, 100], [true, 0]] }, 'big', 'small'] } });
    expect(evaluate(yes, input('some-targeting-key')).value).toBe('hundreds');
    expect(evaluate(no, input('some-targeting-key')).value).toBe('ones');
  });

  // flagd's custom operators return null as a value on invalid input, so an enclosing `if`
  // takes its else branch (TARGETING_MATCH); only a null result of the whole targeting serves
  // the default. open-feature/flagd core/pkg/evaluator/semver_test.go (errors inside `if` ->
  // the else variant), flagd-testbed pull 368 (the `if` wrapping of edge-case-flags.json at
  // 0815d197 expected the default, which the Go evaluator cannot give); docs/flagd-semantics.md
  // section 4. This test asserted the opposite (abort to the default) before issue 12.
  it('operator errors are null values: an enclosing if takes its else branch', () => {
    const variants = { true: 'true', false: 'false', fallback: 'fallback' };
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ if: [{ fractional: [{ var: 'missing_key' }, ['one', 50], ['two', 50]] }, 'true', 'false'] }, {}],
      [{ if: [{ fractional: [{ var: 'targetingKey' }, ['one', 0], ['two', 0]] }, 'true', 'false'] }, {}],
      [{ if: [{ sem_ver: [{ var: 'version' }, '=', '1.0.0'] }, 'true', 'false'] }, { version: 'not-a-version' }],
      [{ if: [{ sem_ver: [{ var: 'version' }, '===', '1.0.0'] }, 'true', 'false'] }, { version: '1.0.0' }],
      [{ if: [{ sem_ver: [{ var: 'version' }, '='] }, 'true', 'false'] }, { version: '1.0.0' }],
      [{ if: [{ ends_with: [{ var: 'num' }, 'xyz'] }, 'true', 'false'] }, { num: 123 }],
      [{ if: [{ starts_with: ['abc'] }, 'true', 'false'] }, {}],
    ];
    for (const [targeting, properties] of cases) {
      const def = flag({ key: 'edge', state: 'ENABLED', variants, defaultVariant: 'fallback', targeting });
      // A keyless input: the request sent no targetingKey (the missing-bucket-key case).
      const decision = evaluate(def, { ...input('', properties), keyless: {} });
      expect([decision.value, decision.reason], JSON.stringify(targeting)).toEqual(['false', 'TARGETING_MATCH']);
    }
  });

  it('an operator error as the whole targeting serves the default (DEFAULT)', () => {
    const def = flag({ key: 'edge', state: 'ENABLED', variants: { a: 'a', fallback: 'fallback' }, defaultVariant: 'fallback', targeting: { sem_ver: [{ var: 'version' }, '=', '1.0.0'] } });
    expect(evaluate(def, input('u', { version: 'nope' }))).toMatchObject({ value: 'fallback', variant: 'fallback', reason: 'DEFAULT' });
  });

  it.each([
    ['abcdef', 'prefix'],
    ['uvwxyz', 'postfix'],
    ['abcxyz', 'prefix'],
    ['lmnopq', 'none'],
    ['3', 'none'],
  ])('starts-ends-flag: id %s -> %s', (id, value) => {
    const def = flag({
      key: 'starts-ends-flag',
      state: 'ENABLED',
      variants: { prefix: 'prefix', postfix: 'postfix', none: 'none' },
      defaultVariant: 'none',
      targeting: { if: [{ starts_with: [{ var: 'id' }, 'abc'] }, 'prefix', { if: [{ ends_with: [{ var: 'id' }, 'xyz'] }, 'postfix', { if: [{ ends_with: [{ var: 'id' }, 3] }, 'fail', 'none'] }] }] },
    });
    expect(evaluate(def, input('u', { id })).value).toBe(value);
  });

  it('targeting returning null, a number or a boolean follows flagd', () => {
    const nullVariant = flag({ key: 'n', state: 'ENABLED', variants: { one: 1, two: 2 }, defaultVariant: 'two', targeting: { if: [true, null, 'one'] } });
    expect(evaluate(nullVariant, input('u'))).toMatchObject({ value: 2, variant: 'two', reason: 'DEFAULT' });
    const numeric = flag({ key: 'num', state: 'ENABLED', variants: { '1': 'one', '2': 'two' }, defaultVariant: '2', targeting: { '+': [0, 1] } });
    expect(evaluate(numeric, input('u'))).toMatchObject({ value: 'one', variant: '1', reason: 'TARGETING_MATCH' });
  });

  it('exposes $flagd.timestamp in seconds and metadata on the decision', () => {
    const def = flag({
      key: 'timestamp-flag',
      state: 'ENABLED',
      variants: { past: -1, future: 1 },
      defaultVariant: 'past',
      targeting: { if: [{ '>': [{ var: '$flagd.timestamp' }, { var: 'time' }] }, 'past', 'future'] },
      metadata: { team: 'growth', scope: 1 },
    });
    expect(evaluate(def, input('u', { time: 1 })).value).toBe(-1);
    expect(evaluate(def, input('u', { time: 4133980802 })).value).toBe(1);
    expect(evaluate(def, input('u', { time: 1 })).metadata).toEqual({ team: 'growth', scope: 1 });
  });
});
