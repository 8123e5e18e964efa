import { describe, expect, it } from 'vitest';
import { validateCohortDefinition } from '../../../src/cohorts/validate-cohort-definition.js';
import { checkReferences, type CohortRef } from '../../../src/cohorts/references.js';
import { isDateInput, resolveDate } from '../../../src/cohorts/dates.js';
import type { CohortDefinition } from '../../../src/cohorts/cohort-definition.js';

const paths = (input: unknown) => validateCohortDefinition(input).issues.map((i) => i.path);

describe('definition validation', () => {
  it('accepts property, behavioural, cohort and nested nodes', () => {
    const def = {
      type: 'AND',
      values: [
        { type: 'person', key: 'country', operator: 'eq', value: 'Germany' },
        { type: 'behavioral', event: 'purchase', count: { op: 'gte', value: 3 }, window: { last: '30d' }, where: [{ key: 'stock_code', operator: 'in', value: ['85123A', 22423] }] },
        { type: 'OR', negate: true, values: [{ type: 'cohort', key: 'beta', operator: 'in' }, { type: 'behavioral', event: 'core_action_*', operator: 'not_performed' }] },
        { type: 'person', key: 'signup', operator: 'after', value: '-30d' },
        { type: 'person', key: 'plan', operator: 'is_set' },
      ],
    };
    const r = validateCohortDefinition(def);
    expect(r.issues).toEqual([]);
    expect(r.definition).toBeTruthy();
  });

  it('names the path of an unknown operator and of an incompatible value', () => {
    expect(paths({ type: 'AND', values: [{ type: 'person', key: 'a', operator: 'eq', value: 1 }, { type: 'OR', values: [{ type: 'person', key: 'b', operator: 'like', value: 'x' }] }] })).toEqual([
      'definition.values[1].values[0].operator',
    ]);
    expect(paths({ type: 'AND', values: [{ type: 'person', key: 'a', operator: 'eq', value: 1 }, { type: 'OR', values: [{ type: 'person', key: 'b', operator: 'gt', value: 'ten' }] }] })).toEqual([
      'definition.values[1].values[0].value',
    ]);
    const r = validateCohortDefinition({ type: 'person', key: 'b', operator: 'gt', value: 'ten' });
    expect(r.issues[0].message).toMatch(/needs a number, got string/);
  });

  it('checks values against operators', () => {
    const bad: Array<[unknown, string]> = [
      [{ type: 'person', key: 'a', operator: 'in', value: 'x' }, 'definition.value'],
      [{ type: 'person', key: 'a', operator: 'in', value: [] }, 'definition.value'],
      [{ type: 'person', key: 'a', operator: 'eq', value: ['x'] }, 'definition.value'],
      [{ type: 'person', key: 'a', operator: 'is_set', value: 'x' }, 'definition.value'],
      [{ type: 'person', key: 'a', operator: 'before', value: 'yesterday' }, 'definition.value'],
      [{ type: 'person', key: 'a', operator: 'before', value: '2023-02-31' }, 'definition.value'],
      [{ type: 'person', key: 'a', operator: 'regex' }, 'definition.value'],
      [{ type: 'person', key: '', operator: 'eq', value: 'x' }, 'definition.key'],
      [{ type: 'behavioral', event: 'a*b' }, 'definition.event'],
      [{ type: 'behavioral', event: 'a', count: { op: 'gte', value: 0 } }, 'definition.count.value'],
      [{ type: 'behavioral', event: 'a', count: { op: 'gte', value: 1.5 } }, 'definition.count.value'],
      [{ type: 'behavioral', event: 'a', window: { last: '30x' } }, 'definition.window.last'],
      [{ type: 'behavioral', event: 'a', window: { last: '30d', from: 0 } }, 'definition.window'],
      [{ type: 'behavioral', event: 'a', window: {} }, 'definition.window'],
      [{ type: 'behavioral', event: 'a', window: { from: '2024-02-01', to: '2024-01-01' } }, 'definition.window.to'],
      [{ type: 'behavioral', event: 'a', where: [{ key: 'x', operator: 'lt', value: '5' }] }, 'definition.where[0].value'],
      [{ type: 'cohort', key: 'has space', operator: 'in' }, 'definition.key'],
      [{ type: 'AND', values: [] }, 'definition.values'],
      [{ type: 'XOR', values: [] }, 'definition.type'],
      [{ type: 'person', key: 'a', operator: 'eq', value: 'x', extra: 1 }, 'definition'],
    ];
    for (const [input, path] of bad) expect(paths(input), JSON.stringify(input)).toContain(path);
  });

  it('limits depth and size', () => {
    let node: unknown = { type: 'person', key: 'a', operator: 'is_set' };
    for (let i = 0; i < 11; i++) node = { type: 'AND', values: [node] };
    expect(validateCohortDefinition(node).issues[0].message).toMatch(/nest at most 10/);
    const wide = { type: 'OR', values: Array.from({ length: 50 }, () => ({ type: 'AND', values: Array.from({ length: 5 }, () => ({ type: 'person', key: 'a', operator: 'is_set' })) })) };
    expect(validateCohortDefinition(wide).issues[0].message).toMatch(/at most 200 conditions/);
  });

  it('parses dates: ms, ISO with and without zone, relative', () => {
    expect(isDateInput('2024-05-01')).toBe(true);
    expect(isDateInput('2024-05-01T10:00:00+02:00')).toBe(true);
    expect(isDateInput('-30d')).toBe(true);
    expect(isDateInput('30d')).toBe(false);
    expect(resolveDate('2024-05-01T10:00:00+02:00', 0)).toBe(Date.UTC(2024, 4, 1, 8));
    expect(resolveDate('2024-05-01 10:00', 0)).toBe(Date.UTC(2024, 4, 1, 10));
    expect(resolveDate('-12h', 100 * 3_600_000)).toBe(88 * 3_600_000);
    expect(resolveDate(1320883200000, 0)).toBe(1320883200000);
  });
});

describe('cohort references', () => {
  const ref = (id: number, definition: CohortDefinition | null, state: CohortRef['state'] = 'active'): CohortRef => ({ id, kind: definition ? 'dynamic' : 'static', state, definition });
  const inCohort = (key: string): CohortDefinition => ({ type: 'cohort', key, operator: 'in' });

  it('refuses missing, archived and self references with the node path', () => {
    const cohorts = new Map([['old', ref(1, null, 'archived')], ['vip', ref(2, null)]]);
    const def: CohortDefinition = { type: 'AND', values: [inCohort('vip'), inCohort('nope'), { type: 'OR', values: [inCohort('old'), inCohort('me')] }] };
    expect(checkReferences('me', def, cohorts)).toEqual([
      { path: 'definition.values[1]', message: 'cohort nope does not exist in this project' },
      { path: 'definition.values[2].values[0]', message: 'cohort old is archived and cannot be referenced' },
      { path: 'definition.values[2].values[1]', message: 'cohort me cannot reference itself' },
    ]);
  });

  it('refuses cycles through other cohorts', () => {
    // a -> b -> c, saving c with a reference to a closes the loop.
    const cohorts = new Map([['a', ref(1, inCohort('b'))], ['b', ref(2, { type: 'AND', values: [inCohort('c')] })], ['c', ref(3, { type: 'person', key: 'x', operator: 'is_set' })]]);
    const issues = checkReferences('c', { type: 'OR', values: [{ type: 'person', key: 'y', operator: 'is_set' }, inCohort('a')] }, cohorts);
    expect(issues).toEqual([{ path: 'definition.values[1]', message: 'reference creates a cycle: c -> a -> b -> c' }]);
    expect(checkReferences('d', inCohort('a'), cohorts)).toEqual([]);
  });
});
