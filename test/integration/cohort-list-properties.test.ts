import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { compileCohort } from '../../src/cohorts/compiler.js';
import { validateCohortDefinition } from '../../src/cohorts/validate-cohort-definition.js';
import { createCohortQueryRunner } from '../../src/adapters/postgres/cohort-query-runner.js';

/**
 * List-valued properties (issue 21): every operator tests the list's elements (one match is
 * enough; negative operators mean "no element"), never the list's JSON text; contains and
 * icontains take a list of needles (any). On person properties and on event properties.
 */
const NOW = Date.UTC(2024, 5, 1);
let t: TestContext;
let projectId: number;
const names = new Map<number, string>();

async function person(name: string, properties: Record<string, unknown>) {
  const { rows } = await t.pool.query<{ id: number }>('INSERT INTO persons (project_id, bucketing_key, properties) VALUES ($1, $2, $3) RETURNING id', [projectId, name, JSON.stringify(properties)]);
  names.set(rows[0].id, name);
  await t.pool.query('INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) VALUES ($1, $2, $3)', [projectId, name, rows[0].id]);
  await t.pool.query("INSERT INTO events (project_id, event, distinct_id, time, insert_id, properties) VALUES ($1, 'view', $2, $3, $2, $4)", [
    projectId,
    name,
    new Date(NOW - 3_600_000).toISOString(),
    JSON.stringify(properties),
  ]);
}

async function members(definition: unknown): Promise<string[]> {
  const v = validateCohortDefinition(definition);
  expect(v.issues).toEqual([]);
  const rows = await createCohortQueryRunner(t.pool)(compileCohort(v.definition!, { projectId, now: NOW, cohortRefs: new Map() }));
  return rows.map((id) => names.get(id)!).sort();
}

beforeAll(async () => {
  t = await createTestContext();
  projectId = (await t.newProject('lists')).id;
  await person('ann', { tags: ['vip', 'beta'], scores: [3, 12], seen: ['2024-05-30T00:00:00Z'] });
  await person('ben', { tags: ['Beta-Tester'], scores: ['7'], seen: [] });
  await person('cat', { tags: 'vip', scores: 5 });
  await person('dan', { tags: [], scores: [] });
  await person('eve', { tags: ['["vip"]'] }); // a string that looks like the JSON text of a list
  await person('fay', {});
});
afterAll(async () => {
  await t.cleanup();
});

const prop = (key: string, operator: string, value?: unknown) => ({ type: 'person', key, operator, ...(value === undefined ? {} : { value }) });

describe('list-valued properties, every operator', () => {
  it.each([
    ['eq matches an element', prop('tags', 'eq', 'vip'), ['ann', 'cat']],
    ['neq: no element equals', prop('tags', 'neq', 'vip'), ['ben', 'dan', 'eve', 'fay']],
    ['in: an element in the list', prop('tags', 'in', ['beta', 'Beta-Tester']), ['ann', 'ben']],
    ['not_in', prop('tags', 'not_in', ['beta', 'Beta-Tester']), ['cat', 'dan', 'eve', 'fay']],
    ['contains an element substring, never the JSON text', prop('tags', 'contains', 'vip"'), ['eve']],
    ['icontains', prop('tags', 'icontains', 'BETA'), ['ann', 'ben']],
    ['icontains with a list of values (any)', prop('tags', 'icontains', ['tester', 'VIP']), ['ann', 'ben', 'cat', 'eve']],
    ['contains with a list of values', prop('tags', 'contains', ['eta', 'zzz']), ['ann', 'ben']],
    ['regex on elements', prop('tags', 'regex', '^b'), ['ann']],
    ['not_regex', prop('tags', 'not_regex', '^b'), ['ben', 'cat', 'dan', 'eve', 'fay']],
    ['gt on numeric elements (numeric strings too)', prop('scores', 'gt', 6), ['ann', 'ben']],
    ['lte', prop('scores', 'lte', 5), ['ann', 'cat']],
    ['eq number against a list of numbers', prop('scores', 'eq', 12), ['ann']],
    ['after on date elements', prop('seen', 'after', '2024-05-01'), ['ann']],
    ['is_set: any list, the empty one too', prop('tags', 'is_set'), ['ann', 'ben', 'cat', 'dan', 'eve']],
    ['is_not_set', prop('tags', 'is_not_set'), ['fay']],
  ])('%s', async (_name, def, want) => {
    expect(await members(def)).toEqual(want);
  });

  it('event properties behave the same (where-tests of a behavioural filter)', async () => {
    expect(await members({ type: 'behavioral', event: 'view', where: [{ key: 'tags', operator: 'eq', value: 'vip' }] })).toEqual(['ann', 'cat']);
    expect(await members({ type: 'behavioral', event: 'view', where: [{ key: 'tags', operator: 'icontains', value: ['TESTER'] }] })).toEqual(['ben']);
    expect(await members({ type: 'aggregate', event: 'view', property: 'scores', fn: 'sum', op: 'gte', value: 5 })).toEqual(['cat']);
  });

  it('refuses an empty needle list and non-string needles, with their paths', () => {
    expect(validateCohortDefinition(prop('tags', 'icontains', [])).issues.map((i) => i.path)).toEqual(['definition.value']);
    expect(validateCohortDefinition(prop('tags', 'icontains', ['a', 3])).issues.map((i) => i.path)).toEqual(['definition.value[1]']);
  });
});
