/**
 * `contains` / `icontains` on LIST-valued properties (issue 12, item 6): a list matches when
 * one of its elements contains the value, never through the list's JSON text. Scalars keep
 * their text-form behaviour. Runs the compiled SQL against real PostgreSQL, for person
 * filters, event `where` filters, and the event-driven restricted form (bindPersonIds).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { bindPersonIds, compileCohort } from '../../src/cohorts/compiler.js';
import { validateCohortDefinition } from '../../src/cohorts/validate-cohort-definition.js';
import { createCohortQueryRunner } from '../../src/adapters/postgres/cohort-query-runner.js';

const NOW = Date.UTC(2024, 5, 1);
const HOUR = 3_600_000;

let t: TestContext;
let projectId: number;
const names = new Map<number, string>();
const ids = new Map<string, number>();

async function person(name: string, properties: Record<string, unknown>) {
  const { rows } = await t.pool.query<{ id: number }>('INSERT INTO persons (project_id, bucketing_key, properties) VALUES ($1, $2, $3) RETURNING id', [
    projectId,
    name,
    JSON.stringify(properties),
  ]);
  names.set(rows[0].id, name);
  ids.set(name, rows[0].id);
  await t.pool.query('INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) VALUES ($1, $2, $3)', [projectId, name, rows[0].id]);
}

let seq = 0;
async function event(distinctId: string, name: string, properties: Record<string, unknown>) {
  await t.pool.query('INSERT INTO events (project_id, event, distinct_id, time, insert_id, properties) VALUES ($1, $2, $3, $4::timestamptz, $5, $6)', [
    projectId,
    name,
    distinctId,
    new Date(NOW - HOUR).toISOString(),
    `l${++seq}`,
    JSON.stringify(properties),
  ]);
}

async function members(input: unknown, restrictTo?: string[]): Promise<string[]> {
  const v = validateCohortDefinition(input);
  expect(v.issues).toEqual([]);
  let q = compileCohort(v.definition!, { projectId, now: NOW, cohortRefs: new Map(), restrictToPersonIds: !!restrictTo });
  if (restrictTo) q = bindPersonIds(q, restrictTo.map((n) => ids.get(n)!));
  const rows = await createCohortQueryRunner(t.pool)(q);
  return rows.map((id) => names.get(id) ?? `?${id}`).sort();
}

const prop = (key: string, operator: string, value: unknown, extra: Record<string, unknown> = {}) => ({ type: 'person', key, operator, value, ...extra });
const where = (event: string, key: string, operator: string, value: unknown) => ({ type: 'behavioral', event, where: [{ key, operator, value }] });

beforeAll(async () => {
  t = await createTestContext();
  projectId = (await t.newProject('list-filters')).id;
  // Synthetic persons, made up for this test.
  await person('list', { tags: ['alpha', 'beta'] });
  await person('upper', { tags: ['Alpha', 'GAMMA'] });
  await person('scalar', { tags: 'alphabet' });
  await person('quoted', { tags: 'say a", "b' }); // a scalar holding the JSON-looking text
  await person('numbers', { tags: [123, 'x'] });
  await person('empty', { tags: [] });
  await person('nulls', { tags: [null] });
  await person('missing', {});
  await event('list', 'view', { items: ['alpha', 'beta'] });
  await event('quoted', 'view', { items: 'say a", "b' });
  await event('upper', 'view', { items: ['Alpha', 'GAMMA'] });
});

afterAll(async () => {
  await t.cleanup();
});

describe('contains / icontains on list properties', () => {
  it.each([
    ['the JSON text across elements does not match', prop('tags', 'contains', 'a", "b'), ['quoted']],
    ['a quote never matches a list through its JSON text', prop('tags', 'contains', '"'), ['quoted']],
    ['a bracket never matches a list through its JSON text', prop('tags', 'contains', '['), []],
    ['an element containing the value matches (case-sensitive)', prop('tags', 'contains', 'alp'), ['list', 'scalar']],
    ['case matters for contains', prop('tags', 'contains', 'Alp'), ['upper']],
    ['icontains ignores case on elements and scalars', prop('tags', 'icontains', 'ALP'), ['list', 'scalar', 'upper']],
    ['icontains on a later element', prop('tags', 'icontains', 'amm'), ['upper']],
    ['a number element matches by its text form', prop('tags', 'contains', '12'), ['numbers']],
    ['the whole element matches', prop('tags', 'contains', 'beta'), ['list']],
    ['negate: missing, empty and non-matching lists', prop('tags', 'contains', 'alp', { negate: true }), ['empty', 'missing', 'nulls', 'numbers', 'quoted', 'upper']],
  ])('%s', async (_label, def, expected) => {
    expect(await members(def)).toEqual(expected);
  });

  it('event where filters match list elements, not the JSON text', async () => {
    expect(await members(where('view', 'items', 'contains', 'a", "b'))).toEqual(['quoted']);
    expect(await members(where('view', 'items', 'icontains', 'BET'))).toEqual(['list']);
    expect(await members(where('view', 'items', 'icontains', 'gamma'))).toEqual(['upper']);
  });

  it('the event-driven restricted form (bindPersonIds) gives the same answers', async () => {
    const some = ['list', 'quoted', 'upper', 'empty'];
    expect(await members(prop('tags', 'contains', 'a", "b'), some)).toEqual(['quoted']);
    expect(await members(prop('tags', 'icontains', 'ALP'), some)).toEqual(['list', 'upper']);
    expect(await members(where('view', 'items', 'contains', 'a", "b'), some)).toEqual(['quoted']);
    expect(await members(where('view', 'items', 'icontains', 'bet'), ['upper'])).toEqual([]);
  });
});
