import { describe, expect, it } from 'vitest';
import {
  compileConfig,
  compileDefinition,
  compileFlag,
  compileOrBroken,
  compileSurvey,
  createSnapshot,
  referencedCohorts,
  validateLogic,
  type CompileIssue,
  type CompileResult,
} from '../../../src/core/index.js';

function errorsOf<T>(result: CompileResult<T>): CompileIssue[] {
  if (result.ok) throw new Error('expected the definition to be refused');
  return result.errors;
}

function paths<T>(result: CompileResult<T>): string[] {
  return errorsOf(result).map((e) => e.path);
}

const variants = { blue: { value: 'blue' }, green: { value: 'green' }, red: { value: 'red' } };
const mv = (rules: unknown[], extra: Record<string, unknown> = {}) => ({ key: 'color', enabled: true, kind: 'multivariate', variants, default_variant: 'blue', rules, ...extra });
const everyone = (id: string) => ({ id, serve: { variant: 'blue' } });

describe('compiling flags', () => {
  it('compiles a boolean flag with defaults and precomputes thresholds and split bounds', () => {
    const result = compileFlag({ key: 'checkout', enabled: true, rules: [{ id: 'r', rollout: 12.5, serve: { split: [{ variant: 'on', weight: 33.333 }, { variant: 'off', weight: 66.667 }] } }] });
    if (!result.ok || result.def.format !== 'native') throw new Error(JSON.stringify(result));
    expect(result.def).toMatchObject({ flagType: 'boolean', defaultVariant: 'off', offVariant: 'off', salt: 'checkout', hashVersion: 1, version: 1 });
    expect(result.def.rules[0]).toMatchObject({ threshold: 12500, needsKey: true, serve: { kind: 'split', variants: ['on', 'off'], uppers: [33333, 100000] } });
  });

  it('refuses split weights that do not add up to 100, at the split', () => {
    const result = compileFlag(mv([everyone('a'), everyone('b'), { id: 'c', serve: { split: [{ variant: 'blue', weight: 50 }, { variant: 'green', weight: 49.999 }] } }]));
    expect(errorsOf(result)).toEqual([{ path: 'rules[2].serve.split', message: 'split weights must add up to 100, they add up to 99.999' }]);
  });

  it.each([
    [-10, 'must be between 0 and 100'],
    [100.5, 'must be between 0 and 100'],
    [33.3333, 'at most 3 decimals'],
  ])('refuses a split weight of %d at rules[2].serve.split[1].weight', (weight, message) => {
    const result = compileFlag(mv([everyone('a'), everyone('b'), { id: 'c', serve: { split: [{ variant: 'blue', weight: 50 }, { variant: 'green', weight }] } }]));
    expect(errorsOf(result)).toContainEqual({ path: 'rules[2].serve.split[1].weight', message });
  });

  it('refuses unknown variant references with their paths', () => {
    const result = compileFlag(
      mv([{ id: 'a', serve: { variant: 'purple' } }, { id: 'b', serve: { split: [{ variant: 'pink', weight: 100 }] } }], { default_variant: 'black', off_variant: 'white' }),
    );
    expect(paths(result)).toEqual(['default_variant', 'off_variant', 'rules[0].serve.variant', 'rules[1].serve.split[0].variant']);
  });

  it('refuses unknown JSON Logic operators with the path of the node', () => {
    const result = compileFlag(mv([everyone('a'), { id: 'b', condition: { and: [{ '==': [{ var: 'plan' }, 'pro'] }, { regex_match: ['x', 'y'] }] }, serve: { variant: 'blue' } }]));
    expect(errorsOf(result)).toEqual([{ path: 'rules[1].condition.and[1]', message: 'unknown operator "regex_match"' }]);
  });

  it('quotes operator keys that are not identifiers in paths', () => {
    const result = compileFlag(mv([{ id: 'a', condition: { '==': [{ bogus: 1 }, 2] }, serve: { variant: 'blue' } }]));
    expect(paths(result)).toEqual(['rules[0].condition["=="][0]']);
  });

  it('refuses log, objects with several keys and bad literal sem_ver operators', () => {
    const result = compileFlag(
      mv([
        { id: 'a', condition: { log: 'x' }, serve: { variant: 'blue' } },
        { id: 'b', condition: { '==': [1, 1], '!=': [1, 2] }, serve: { variant: 'blue' } },
        { id: 'c', condition: { sem_ver: [{ var: 'v' }, '=>', '1.0.0'] }, serve: { variant: 'blue' } },
        { id: 'd', condition: { starts_with: ['x'] }, serve: { variant: 'blue' } },
      ]),
    );
    expect(paths(result)).toEqual(['rules[0].condition', 'rules[1].condition', 'rules[2].condition.sem_ver[1]', 'rules[3].condition']);
  });

  it.each([
    [101, 'must be between 0 and 100'],
    [-1, 'must be between 0 and 100'],
    [12.3456, 'at most 3 decimals'],
  ])('refuses rollout %d', (rollout, message) => {
    expect(errorsOf(compileFlag(mv([{ id: 'a', rollout, serve: { variant: 'blue' } }])))).toEqual([{ path: 'rules[0].rollout', message }]);
  });

  it('refuses duplicate rule ids, unknown hash versions and unknown fields', () => {
    expect(errorsOf(compileFlag(mv([everyone('a'), everyone('a')])))).toEqual([{ path: 'rules[1].id', message: 'duplicate rule id "a" (also rules[0])' }]);
    expect(errorsOf(compileFlag(mv([], { hash_version: 2 })))).toEqual([{ path: 'hash_version', message: 'unsupported hash_version 2 (supported: 1)' }]);
    expect(paths(compileFlag(mv([{ id: 'a', rolout: 5, serve: { variant: 'blue' } }])))).toEqual(['rules[0]']);
  });

  it('refuses a rule serving both or neither of variant and split', () => {
    expect(paths(compileFlag(mv([{ id: 'a', serve: {} }])))).toEqual(['rules[0].serve']);
    expect(paths(compileFlag(mv([{ id: 'a', serve: { variant: 'blue', split: [{ variant: 'blue', weight: 100 }] } }])))).toEqual(['rules[0].serve']);
  });

  it('checks variant shapes by flag type', () => {
    expect(paths(compileFlag({ key: 'b', enabled: true, kind: 'boolean', variants: { on: { value: 'yes' }, off: { value: false } } }))).toEqual(['variants']);
    expect(paths(compileFlag(mv([], { variants: { a: { value: 'x' }, b: { value: 2 } }, default_variant: 'a' })))).toEqual(['variants.b.value']);
    expect(paths(compileFlag({ key: 'm', enabled: true, kind: 'multivariate', variants: { a: { value: 'x' } } }))).toEqual(['default_variant']);
    expect(paths(compileFlag({ key: 'bad key!', enabled: true }))).toEqual(['key']);
  });

  // flagd loads variants of mixed JSON types and refuses only a default variant naming no
  // variant (open-feature/flagd core/pkg/evaluator/json.go#validateDefaultVariants; its JSON
  // schema only warns): docs/flagd-semantics.md section 6.
  it('refuses a flagd flag whose default variant is unknown, and accepts variants of mixed types', () => {
    const result = compileFlag({ key: 'f', state: 'ENABLED', variants: { a: 'x', b: 1 }, defaultVariant: 'c' });
    expect(paths(result)).toEqual(['defaultVariant']);
    expect(compileFlag({ key: 'f', state: 'ENABLED', variants: { a: 'x', b: 1, c: null }, defaultVariant: 'a' }).ok).toBe(true);
  });
});

describe('compiling configs', () => {
  const schema = { type: 'object', properties: { price: { type: 'number', minimum: 0 } }, required: ['price'], additionalProperties: false };

  it('checks every value against the schema, with the value path', () => {
    const result = compileConfig({
      key: 'pricing',
      schema,
      default: { price: 'ten' },
      rules: [
        { id: 'eu', serve: { value: { price: -1 } } },
        { id: 'test', serve: { split: [{ value: { price: 1 }, weight: 50 }, { value: { cost: 1 }, weight: 50 }] } },
      ],
    });
    expect(paths(result)).toEqual(['default.price', 'rules[0].serve.value.price', 'rules[1].serve.split[1].value', 'rules[1].serve.split[1].value']);
    expect(errorsOf(result)[0].message).toBe('does not match the config schema: must be number');
  });

  it('refuses an invalid JSON Schema and the reserved rule id "default"', () => {
    expect(paths(compileConfig({ key: 'c', schema: { type: 'nonsense' }, default: 1 }))).toEqual(['schema']);
    expect(paths(compileConfig({ key: 'c', schema: { type: 'number' }, default: 1, rules: [{ id: 'default', serve: { value: 2 } }] }))).toEqual(['rules[0].id']);
  });

  it('can compile the same schema with an $id twice', () => {
    const withId = { $id: 'https://example.com/price.json', type: 'number' };
    expect(compileConfig({ key: 'a', schema: withId, default: 1 }).ok).toBe(true);
    expect(compileConfig({ key: 'b', schema: withId, default: 2 }).ok).toBe(true);
  });

  it('names values as variants', () => {
    const result = compileConfig({ key: 'c', schema: { type: 'number' }, default: 1, rules: [{ id: 'r', serve: { split: [{ value: 2, weight: 50 }, { value: 3, weight: 50 }] } }] });
    if (!result.ok) throw new Error();
    expect([...result.def.variants.keys()]).toEqual(['default', 'r[0]', 'r[1]']);
  });
});

describe('compiling surveys', () => {
  const survey = (extra: Record<string, unknown> = {}) => ({ key: 'nps', name: 'NPS', enabled: true, questions: [{ id: 'q', type: 'open', question: 'Why?' }], ...extra });

  it('converts the schedule to unix ms and the wait period to ms', () => {
    const result = compileSurvey(survey({ schedule: { start: '2024-01-01T00:00:00Z', end: 1_800_000_000_000 }, wait_period_days: 2 }));
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.def).toMatchObject({ start: Date.UTC(2024, 0, 1), end: 1_800_000_000_000, waitPeriodMs: 172_800_000 });
  });

  it('refuses bad schedules, URL patterns, questions and serve in rules', () => {
    expect(paths(compileSurvey(survey({ schedule: { start: 'next tuesday' } })))).toEqual(['schedule.start']);
    expect(paths(compileSurvey(survey({ schedule: { start: 2000, end: 1000 } })))).toEqual(['schedule.end']);
    expect(paths(compileSurvey(survey({ triggers: { url_pattern: '([' } })))).toEqual(['triggers.url_pattern']);
    expect(paths(compileSurvey(survey({ questions: [{ id: 'q', type: 'single_choice', question: 'Which?' }] })))).toEqual(['questions[0].choices']);
    expect(paths(compileSurvey(survey({ rules: [{ id: 'r', serve: { variant: 'x' } }] })))).toEqual(['rules[0]']);
  });
});

describe('validateLogic', () => {
  it('accepts json-logic-js operators and flagd operators', () => {
    const expression = { if: [{ and: [{ sem_ver: [{ var: 'v' }, '>=', '1.0.0'] }, { starts_with: [{ var: 'email' }, 'a'] }] }, { fractional: [['a', 50], ['b', 50]] }, null] };
    expect(validateLogic(expression, 'targeting')).toEqual([]);
  });
});

describe('compileOrBroken, referencedCohorts and snapshots', () => {
  it('keeps a definition that fails to compile as a broken definition', () => {
    const broken = compileOrBroken('flag', { key: 'x', version: 7, enabled: 'yes' });
    expect(broken).toMatchObject({ kind: 'flag', format: 'broken', key: 'x', version: 7 });
  });

  it('lists the cohorts a definition references, once each, in rule order', () => {
    const def = compileOrBroken('flag', {
      key: 'f',
      enabled: true,
      rules: [
        { id: 'a', cohorts: { all: ['beta', 'staff'], none: ['churned'] }, serve: { variant: 'on' } },
        { id: 'b', cohorts: { any: ['staff', 'eu'] }, serve: { variant: 'on' } },
      ],
    });
    expect(referencedCohorts(def)).toEqual(['beta', 'staff', 'churned', 'eu']);
    const survey = compileOrBroken('survey', { key: 's', name: 'S', enabled: true, questions: [{ id: 'q', type: 'open', question: '?' }], rules: [{ id: 'r', cohorts: { all: ['vip'] } }] });
    expect(createSnapshot([def, survey]).cohortKeys).toEqual(['beta', 'staff', 'churned', 'eu', 'vip']);
  });

  it('dispatches by kind and detects the flagd format', () => {
    const result = compileDefinition('flag', { key: 'f', state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' });
    expect(result.ok && result.def.format).toBe('flagd');
  });
});
