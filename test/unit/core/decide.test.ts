/**
 * Handshake-level behaviour: traces with explain, freshness, isolation of broken definitions,
 * `only`, survey offers, and the JSON Logic context.
 */
import { describe, expect, it } from 'vitest';
import {
  compileOrBroken,
  createSnapshot,
  decideAll,
  evaluate,
  type CohortStatus,
  type CompiledDefinition,
  type DecisionInput,
  type DefinitionKind,
  type FlagLike,
} from '../../../src/core/index.js';

const NOW = 1_700_000_000_000;
// user-5 is inside the 50 % gate of button-color (bucket 37576), user-1 outside (83312).

function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return { distinctId: 'user-5', bucketingKey: 'user-5', properties: {}, cohorts: new Set(), cohortStatus: new Map(), now: NOW, ...overrides };
}

function def(kind: DefinitionKind, raw: Record<string, unknown>): CompiledDefinition {
  return compileOrBroken(kind, raw);
}

const statuses = new Map<string, CohortStatus>([
  ['beta', { state: 'building', asOf: null }],
  ['staff', { state: 'active', asOf: new Date(NOW - 60_000).toISOString() }],
  ['eu', { state: 'paused', asOf: new Date(NOW - 3_600_000).toISOString() }],
]);

const traced = def('flag', {
  key: 'button-color',
  enabled: true,
  kind: 'multivariate',
  variants: { blue: { value: 'blue' }, green: { value: 'green' }, grey: { value: 'grey' } },
  default_variant: 'grey',
  rules: [
    { id: 'beta-testers', cohorts: { all: ['beta'] }, serve: { variant: 'blue' } },
    { id: 'staff-pros', cohorts: { all: ['staff'] }, condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'blue' } },
    { id: 'eu-slice', cohorts: { any: ['eu'], none: ['staff'] }, rollout: 10, serve: { variant: 'blue' } },
    { id: 'experiment', rollout: 50, serve: { split: [{ variant: 'blue', weight: 50 }, { variant: 'green', weight: 50 }] } },
  ],
});

describe('explain trace', () => {
  it('says for each rule whether it was skipped, why it did not match, and how it matched', () => {
    const decision = evaluate(traced, input({ cohorts: new Set(['beta', 'staff', 'eu']), cohortStatus: statuses, properties: { plan: 'free' }, explain: true }));
    expect(decision).toMatchObject({ reason: 'SPLIT', rule_id: 'experiment' });
    const trace = decision.trace ?? [];
    expect(trace.map((t) => [t.rule_id, t.result])).toEqual([
      ['beta-testers', 'skipped'],
      ['staff-pros', 'no_match'],
      ['eu-slice', 'no_match'],
      ['experiment', 'matched'],
    ]);
    expect(trace[0]).toEqual({ rule_id: 'beta-testers', result: 'skipped', cohorts: [{ key: 'beta', expected: 'all', actual: true, state: 'building' }], why: 'cohort "beta" is building: rule skipped' });
    expect(trace[1].condition).toEqual({ expression: { '==': [{ var: 'plan' }, 'pro'] }, result: false });
    expect(trace[1].why).toBe('condition is false');
    expect(trace[2].cohorts).toEqual([
      { key: 'eu', expected: 'any', actual: true, state: 'paused' },
      { key: 'staff', expected: 'none', actual: true, state: 'active' },
    ]);
    expect(trace[2].why).toBe('cohort conditions do not hold');
    expect(trace[3]).toMatchObject({ bucket: expect.any(Number), threshold: 50_000, split_bucket: expect.any(Number) });
    expect(trace[3].bucket).toBeLessThan(50_000);
  });

  it('reports the bucket and threshold of a rollout the person is outside of', () => {
    const decision = evaluate(traced, input({ distinctId: 'user-1', bucketingKey: 'user-1', explain: true }));
    const last = decision.trace?.at(-1);
    expect(decision.reason).toBe('DEFAULT');
    expect(last).toMatchObject({ rule_id: 'experiment', result: 'no_match', threshold: 50_000 });
    expect(last?.why).toMatch(/^outside the rollout: bucket \d+ >= 50000$/);
  });

  it('is absent without explain', () => {
    expect(evaluate(traced, input()).trace).toBeUndefined();
  });
});

describe('freshness', () => {
  it('lists each cohort the decision read once, with state and as_of, and not the skipped ones', () => {
    const decision = evaluate(traced, input({ cohorts: new Set(['staff', 'eu']), cohortStatus: statuses }));
    expect(decision.freshness).toEqual([
      { cohort: 'staff', state: 'active', as_of: new Date(NOW - 60_000).toISOString() },
      { cohort: 'eu', state: 'paused', as_of: new Date(NOW - 3_600_000).toISOString() },
    ]);
  });

  it('stops at the matching rule', () => {
    const decision = evaluate(traced, input({ cohorts: new Set(['staff']), cohortStatus: statuses, properties: { plan: 'pro' } }));
    expect(decision.rule_id).toBe('staff-pros');
    expect(decision.freshness.map((f) => f.cohort)).toEqual(['staff']);
  });
});

describe('decideAll', () => {
  const snapshot = createSnapshot([
    traced,
    def('flag', { key: 'dark-mode', enabled: true }),
    def('flag', { key: 'broken', enabled: true, rules: [{ id: 'x', serve: { variant: 'nope' } }] }),
    def('flag', { key: 'throws', enabled: true, rules: [{ id: 'x', condition: { missing_some: [1, { var: 'n' }] }, serve: { variant: 'on' } }] }),
    def('config', { key: 'limits', schema: { type: 'integer' }, default: 10 }),
    def('survey', { key: 'nps', name: 'NPS', enabled: true, questions: [{ id: 'q', type: 'rating', question: 'Score?', scale: 10 }], triggers: { events: ['purchase'], url_pattern: '^/checkout', delay_ms: 500 } }),
    def('survey', { key: 'csat', name: 'CSAT', enabled: false, questions: [{ id: 'q', type: 'open', question: 'Why?' }] }),
  ]);

  it('decides every kind, and a broken definition breaks nothing else', () => {
    const result = decideAll(snapshot, input());
    expect(Object.keys(result.flags)).toEqual(['button-color', 'dark-mode', 'broken', 'throws']);
    expect(result.flags['dark-mode']).toMatchObject({ value: false, reason: 'STATIC' });
    expect(result.flags.broken).toMatchObject({ value: null, reason: 'ERROR', error_code: 'PARSE_ERROR' });
    expect(result.flags.throws).toMatchObject({ value: false, reason: 'ERROR', error_code: 'GENERAL' });
    expect(result.flags['button-color'].reason).toBe('SPLIT');
    expect(result.configs.limits).toMatchObject({ value: 10, variant: 'default', reason: 'STATIC' });
    expect(result.ineligible_surveys).toBeUndefined();
  });

  it('returns eligible surveys with what an SDK needs to show them', () => {
    const result = decideAll(snapshot, input());
    expect(result.surveys).toEqual([
      {
        key: 'nps',
        name: 'NPS',
        questions: [{ id: 'q', type: 'rating', question: 'Score?', scale: 10 }],
        triggers: { events: ['purchase'], url_pattern: '^/checkout', delay_ms: 500 },
        reason: 'STATIC',
        version: 1,
        freshness: [],
      },
    ]);
  });

  it('lists ineligible surveys, and why, only with explain', () => {
    const result = decideAll(snapshot, input({ explain: true }));
    expect(result.ineligible_surveys).toEqual([
      { key: 'csat', eligible: false, reason: 'DISABLED', ineligible_because: 'disabled', version: 1, freshness: [], trace: [] },
    ]);
    expect(result.flags['dark-mode'].trace).toEqual([]);
  });

  it('decides only the keys asked for', () => {
    const result = decideAll(snapshot, input({ only: new Set(['dark-mode', 'nps']) }));
    expect(Object.keys(result.flags)).toEqual(['dark-mode']);
    expect(result.configs).toEqual({});
    expect(result.surveys.map((s) => s.key)).toEqual(['nps']);
  });

  it('answers INVALID_CONTEXT for every decision when the input is unusable', () => {
    const result = decideAll(snapshot, input({ properties: null as unknown as Record<string, unknown> }));
    for (const decision of Object.values(result.flags)) expect(decision.error_code).toBe('INVALID_CONTEXT');
    expect(result.surveys).toEqual([]);
  });
});

describe('JSON Logic context', () => {
  const flag = (condition: unknown) => def('flag', { key: 'f', enabled: true, rules: [{ id: 'r', condition, serve: { variant: 'on' } }] }) as FlagLike;

  it('lets reserved keys win over properties of the same name', () => {
    const decision = evaluate(flag({ '==': [{ var: 'targetingKey' }, 'user-5'] }), input({ properties: { targetingKey: 'someone-else' } }));
    expect(decision.value).toBe(true);
  });

  it('reads nested properties and is not polluted by a __proto__ property', () => {
    expect(evaluate(flag({ '==': [{ var: 'company.plan' }, 'pro'] }), input({ properties: { company: { plan: 'pro' } } })).value).toBe(true);
    const polluted = JSON.parse('{"__proto__": {"plan": "pro"}}') as Record<string, unknown>;
    expect(evaluate(flag({ '==': [{ var: 'plan' }, 'pro'] }), input({ properties: polluted })).value).toBe(false);
    expect(({} as Record<string, unknown>).plan).toBeUndefined();
  });

  it('does not leak one definition flag key into the next', () => {
    const a = def('flag', { key: 'a', enabled: true, rules: [{ id: 'r', condition: { '==': [{ var: '$flagd.flagKey' }, 'a'] }, serve: { variant: 'on' } }] });
    const b = def('flag', { key: 'b', enabled: true, rules: [{ id: 'r', condition: { '==': [{ var: '$flagd.flagKey' }, 'b'] }, serve: { variant: 'on' } }] });
    const result = decideAll(createSnapshot([a, b]), input());
    expect([result.flags.a.value, result.flags.b.value]).toEqual([true, true]);
  });
});
