import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { bindPersonIds, compileCohort } from '../../src/cohorts/compiler.js';
import { validateCohortDefinition } from '../../src/cohorts/validate-cohort-definition.js';
import { createCohortQueryRunner } from '../../src/adapters/postgres/cohort-query-runner.js';
import type { CohortDefinition } from '../../src/cohorts/cohort-definition.js';
import type { CohortRef } from '../../src/cohorts/references.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 1); // 2024-06-01T00:00:00Z, injected: the compiler never reads a clock
const EVIL_KEY = `'; DROP TABLE events; --`;
const EVIL_VALUE = `") OR 1=1 --`;

let t: TestContext;
let projectId: number;
const names = new Map<number, string>();
const ids = new Map<string, number>();
const refs = new Map<string, CohortRef>();

async function person(name: string, properties: Record<string, unknown>, distinctIds: string[]) {
  const { rows } = await t.pool.query<{ id: number }>('INSERT INTO persons (project_id, bucketing_key, properties) VALUES ($1, $2, $3) RETURNING id', [
    projectId,
    distinctIds[0],
    JSON.stringify(properties),
  ]);
  names.set(rows[0].id, name);
  ids.set(name, rows[0].id);
  for (const d of distinctIds) await t.pool.query('INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) VALUES ($1, $2, $3)', [projectId, d, rows[0].id]);
}

let seq = 0;
async function event(distinctId: string, name: string, at: number, properties: Record<string, unknown> = {}) {
  await t.pool.query('INSERT INTO events (project_id, event, distinct_id, time, insert_id, properties) VALUES ($1, $2, $3, $4::timestamptz, $5, $6)', [
    projectId,
    name,
    distinctId,
    new Date(at).toISOString(),
    `e${++seq}`,
    JSON.stringify(properties),
  ]);
}

/** Validates like a save would, compiles, runs against PostgreSQL; returns member names, sorted. */
async function members(input: unknown, opts: { restrictTo?: string[] } = {}): Promise<string[]> {
  const v = validateCohortDefinition(input);
  expect(v.issues).toEqual([]);
  let q = compileCohort(v.definition!, { projectId, now: NOW, cohortRefs: refs, restrictToPersonIds: !!opts.restrictTo });
  if (opts.restrictTo) q = bindPersonIds(q, opts.restrictTo.map((n) => ids.get(n)!));
  const rows = await createCohortQueryRunner(t.pool)(q);
  expect(new Set(rows).size).toBe(rows.length); // each person once
  return rows.map((id) => names.get(id) ?? `?${id}`).sort();
}

const prop = (key: string, operator: string, value?: unknown) => ({ type: 'person', key, operator, ...(value === undefined ? {} : { value }) });
const did = (event: string, extra: Record<string, unknown> = {}) => ({ type: 'behavioral', event, ...extra });

beforeAll(async () => {
  t = await createTestContext();
  projectId = (await t.newProject('filters')).id;
  const other = (await t.newProject('other')).id;
  await person('alice', { country: 'Germany', age: 34, plan: 'pro', email: 'alice@example.com', signup: '2024-05-20T00:00:00Z', vip: true }, ['a1', 'a2']);
  await person('bob', { country: 'France', age: '41', plan: 'free', email: 'BOB@Example.org', signup: Date.UTC(2024, 4, 1), vip: 'true' }, ['b1']);
  await person('carol', { country: 'Germany', age: 'unknown', plan: null, email: 'carol@test.io', signup: 'not a date' }, ['c1']);
  await person('dave', {}, ['d1']);
  await person('erin', { country: 'germany', age: 19.5, signup: '2023-01-15' }, ['e1']);
  await person('frank', { [EVIL_KEY]: EVIL_VALUE }, ['f1']);

  await event('a1', 'purchase', NOW - 1 * DAY, { stock_code: '85123A', qty: 6 });
  await event('a2', 'purchase', NOW - 30 * DAY, { stock_code: 'X', qty: 1 }); // exactly 30 days old
  await event('a1', 'core_action_click', NOW - 2 * HOUR);
  await event('b1', 'purchase', NOW - 31 * DAY, { stock_code: 'X' });
  await event('b1', 'refund', NOW - 5 * DAY);
  for (const d of [10, 9, 8]) await event('c1', 'purchase', NOW - d * DAY, { stock_code: '85123A', qty: '2' });
  await event('c1', 'core_action_view', NOW - 13 * HOUR);
  await event('e1', 'coreXaction_y', NOW - HOUR); // `_` in a prefix is not a wildcard
  await event('f1', EVIL_KEY, NOW - HOUR, { [EVIL_KEY]: EVIL_VALUE });
  // Another project's data with the same ids never leaks in.
  await t.pool.query(`INSERT INTO persons (project_id, bucketing_key, properties) VALUES ($1, 'x', '{"country":"Germany"}')`, [other]);
  await t.pool.query(`INSERT INTO events (project_id, event, distinct_id, time, insert_id) VALUES ($1, 'purchase', 'a1', now(), 'x1')`, [other]);

  const { rows } = await t.pool.query<{ id: number }>(`INSERT INTO cohorts (project_id, key, name, kind) VALUES ($1, 'pinned', 'Pinned', 'static') RETURNING id`, [projectId]);
  await t.pool.query(`INSERT INTO static_cohort_members (project_id, cohort_id, distinct_id) VALUES ($1, $2, 'b1'), ($1, $2, 'never-seen')`, [projectId, rows[0].id]);
  refs.set('pinned', { id: rows[0].id, kind: 'static', state: 'active', definition: null });
  refs.set('germans', { id: 1001, kind: 'dynamic', state: 'active', definition: prop('country', 'eq', 'Germany') as CohortDefinition });
  refs.set('older-germans', { id: 1002, kind: 'dynamic', state: 'active', definition: { type: 'AND', values: [{ type: 'cohort', key: 'germans', operator: 'in' }, prop('age', 'gt', 30)] } as CohortDefinition });
});

afterAll(async () => {
  await t.cleanup();
});

describe('person property filters', () => {
  it.each([
    ['eq (case-sensitive)', prop('country', 'eq', 'Germany'), ['alice', 'carol']],
    ['eq number matches numeric strings', prop('age', 'eq', 41), ['bob']],
    ['eq string matches numbers', prop('age', 'eq', '34'), ['alice']],
    ['eq boolean matches "true"', prop('vip', 'eq', true), ['alice', 'bob']],
    ['neq (missing counts as not equal)', prop('country', 'neq', 'Germany'), ['bob', 'dave', 'erin', 'frank']],
    ['in', prop('country', 'in', ['France', 'germany']), ['bob', 'erin']],
    ['not_in', prop('country', 'not_in', ['Germany']), ['bob', 'dave', 'erin', 'frank']],
    ['contains', prop('country', 'contains', 'erman'), ['alice', 'carol', 'erin']],
    ['icontains', prop('email', 'icontains', 'EXAMPLE'), ['alice', 'bob']],
    ['regex', prop('email', 'regex', '^[ab]'), ['alice']],
    ['not_regex', prop('email', 'not_regex', '^[ab]'), ['bob', 'carol', 'dave', 'erin', 'frank']],
    ['gt (numbers and numeric strings; other values ignored)', prop('age', 'gt', 30), ['alice', 'bob']],
    ['gte', prop('age', 'gte', 34), ['alice', 'bob']],
    ['lt', prop('age', 'lt', 20), ['erin']],
    ['lte', prop('age', 'lte', 19.5), ['erin']],
    ['is_set (null is not set)', prop('plan', 'is_set'), ['alice', 'bob']],
    ['is_not_set', prop('plan', 'is_not_set'), ['carol', 'dave', 'erin', 'frank']],
    ['before relative date (ISO strings and unix ms)', prop('signup', 'before', '-20d'), ['bob', 'erin']],
    ['after absolute date', prop('signup', 'after', '2024-05-10'), ['alice']],
    ['negate flag', { ...prop('country', 'eq', 'Germany'), negate: true }, ['bob', 'dave', 'erin', 'frank']],
  ])('%s', async (_name, def, expected) => {
    expect(await members(def)).toEqual(expected);
  });
});

describe('behavioural filters', () => {
  it.each([
    ['performed, all time', did('purchase'), ['alice', 'bob', 'carol']],
    ['within the last 30 days (an event exactly 30 days old counts)', did('purchase', { window: { last: '30d' } }), ['alice', 'carol']],
    ['at least 2 in the last 30 days, edge included', did('purchase', { window: { last: '30d' }, count: { op: 'gte', value: 2 } }), ['alice', 'carol']],
    ['at least 2 in the last 29 days, edge excluded', did('purchase', { window: { last: '29d' }, count: { op: 'gte', value: 2 } }), ['carol']],
    ['exactly 3', did('purchase', { count: { op: 'eq', value: 3 } }), ['carol']],
    ['at most 1 (zero counts)', did('purchase', { count: { op: 'lte', value: 1 } }), ['bob', 'dave', 'erin', 'frank']],
    ['exactly 0', did('purchase', { count: { op: 'eq', value: 0 } }), ['dave', 'erin', 'frank']],
    ['did not perform', did('purchase', { operator: 'not_performed' }), ['dave', 'erin', 'frank']],
    ['did not perform in the last 7 days', did('purchase', { operator: 'not_performed', window: { last: '7d' } }), ['bob', 'carol', 'dave', 'erin', 'frank']],
    ['event property eq', did('purchase', { where: [{ key: 'stock_code', operator: 'eq', value: '85123A' }] }), ['alice', 'carol']],
    ['event property gt (numeric strings too)', did('purchase', { where: [{ key: 'qty', operator: 'gt', value: 1 }] }), ['alice', 'carol']],
    ['wildcard prefix (_ is literal)', did('core_action_*'), ['alice', 'carol']],
    ['any event', did('*', { window: { last: '1h' } }), ['erin', 'frank']],
    ['within the last 12 hours', did('core_action_*', { window: { last: '12h' } }), ['alice']],
    ['between two dates, both ends inclusive', did('purchase', { window: { from: NOW - 10 * DAY, to: new Date(NOW - 9 * DAY).toISOString() }, count: { op: 'gte', value: 2 } }), ['carol']],
    ['relative from date', did('purchase', { window: { from: '-9d' } }), ['alice', 'carol']],
  ])('%s', async (_name, def, expected) => {
    expect(await members(def)).toEqual(expected);
  });
});

describe('groups and cohort references', () => {
  const germansWhoSpend = { type: 'AND', values: [prop('country', 'eq', 'Germany'), { type: 'OR', values: [did('refund'), prop('age', 'gt', 30)] }] };

  it('nests AND/OR over properties and events', async () => {
    expect(await members(germansWhoSpend)).toEqual(['alice']);
    expect(await members({ type: 'AND', values: [did('purchase'), did('refund', { operator: 'not_performed' })] })).toEqual(['alice', 'carol']);
    expect(await members({ type: 'OR', values: [did('refund'), prop('age', 'lt', 20)] })).toEqual(['bob', 'erin']);
  });

  it('negates groups', async () => {
    expect(await members({ ...germansWhoSpend, negate: true })).toEqual(['bob', 'carol', 'dave', 'erin', 'frank']);
    expect(await members({ type: 'OR', negate: true, values: [prop('age', 'is_set'), did('purchase')] })).toEqual(['dave', 'frank']);
  });

  it('references static and dynamic cohorts, nested', async () => {
    expect(await members({ type: 'cohort', key: 'pinned', operator: 'in' })).toEqual(['bob']);
    expect(await members({ type: 'cohort', key: 'pinned', operator: 'not_in' })).toEqual(['alice', 'carol', 'dave', 'erin', 'frank']);
    expect(await members({ type: 'AND', values: [{ type: 'cohort', key: 'germans', operator: 'in' }, did('purchase')] })).toEqual(['alice', 'carol']);
    expect(await members({ type: 'cohort', key: 'germans', operator: 'not_in' })).toEqual(['bob', 'dave', 'erin', 'frank']);
    expect(await members({ type: 'cohort', key: 'older-germans', operator: 'in' })).toEqual(['alice']);
  });

  it('restricts to given persons (event-driven recompute)', async () => {
    expect(await members(did('purchase', { window: { last: '30d' } }), { restrictTo: ['alice', 'bob'] })).toEqual(['alice']);
    expect(await members(prop('country', 'neq', 'Germany'), { restrictTo: ['alice', 'bob'] })).toEqual(['bob']);
    expect(await members({ type: 'cohort', key: 'pinned', operator: 'not_in' }, { restrictTo: ['bob', 'dave'] })).toEqual(['dave']);
  });
});

describe('hostile input', () => {
  it('treats SQL in keys, values, event names and regexes as data', async () => {
    expect(await members(prop(EVIL_KEY, 'eq', EVIL_VALUE))).toEqual(['frank']);
    expect(await members(prop('country', 'eq', EVIL_VALUE))).toEqual([]);
    expect(await members(prop(EVIL_KEY, 'icontains', 'or 1=1'))).toEqual(['frank']);
    expect(await members(did(EVIL_KEY))).toEqual(['frank']);
    expect(await members(did(`${EVIL_KEY}*`))).toEqual(['frank']);
    expect(await members(did('%'))).toEqual([]); // % is literal, not LIKE's wildcard
    expect(await members(did('purchase', { where: [{ key: EVIL_KEY, operator: 'eq', value: EVIL_VALUE }] }))).toEqual([]);
    expect(await members(prop('email', 'regex', `.*'; DROP TABLE events; --`))).toEqual([]);
    const { rows } = await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE project_id = $1', [projectId]);
    expect(rows[0].n).toBe(11);
  });
});
