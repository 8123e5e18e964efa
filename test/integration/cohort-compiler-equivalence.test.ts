/**
 * Property test (issue 16): the cohort compiler selects exactly the persons the previous
 * compiler (test/integration/support/legacy-compiler.ts) selected, on random definitions
 * (nested AND/OR/NOT, property, behavioural and cohort-reference filters) over a small
 * seeded data set in PostgreSQL, both unrestricted and restricted to a few persons.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCohortQueryRunner } from '../../src/adapters/postgres/cohort-query-runner.js';
import type { CohortDefinition, CohortNode } from '../../src/cohorts/cohort-definition.js';
import { bindPersonIds, compileCohort } from '../../src/cohorts/compiler.js';
import type { CohortRef } from '../../src/cohorts/references.js';
import { validateCohortDefinition } from '../../src/cohorts/validate-cohort-definition.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import * as legacy from './support/legacy-compiler.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 1);
const EVENTS = ['purchase', 'view', 'refund'];
const COUNTRIES = ['DE', 'FR', 'US'];

let t: TestContext;
let projectId: number;
const personIds: number[] = [];
const refs = new Map<string, CohortRef>();

/** A deterministic generator (mulberry32), so the data set is the same every run. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(async () => {
  t = await createTestContext();
  projectId = (await t.newProject('equivalence')).id;
  const other = (await t.newProject('other')).id;
  const rand = rng(16);
  for (let i = 0; i < 40; i++) {
    const props: Record<string, unknown> = { country: COUNTRIES[Math.floor(rand() * 3)], age: Math.floor(rand() * 60) };
    if (rand() < 0.3) delete props.country;
    if (rand() < 0.5) props.vip = rand() < 0.5;
    const { rows } = await t.pool.query<{ id: string }>('INSERT INTO persons (project_id, bucketing_key, properties) VALUES ($1, $2, $3) RETURNING id', [projectId, `u${i}`, JSON.stringify(props)]);
    const id = Number(rows[0].id);
    personIds.push(id);
    const dids = rand() < 0.3 ? [`u${i}`, `a${i}`] : [`u${i}`];
    for (const d of dids) await t.pool.query('INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) VALUES ($1, $2, $3)', [projectId, d, id]);
    const n = Math.floor(rand() * 6);
    for (let k = 0; k < n; k++) {
      const name = EVENTS[Math.floor(rand() * 3)];
      await t.pool.query('INSERT INTO events (project_id, event, distinct_id, time, insert_id, properties) VALUES ($1, $2, $3, $4, $5, $6)', [
        projectId,
        name,
        dids[Math.floor(rand() * dids.length)],
        new Date(NOW - Math.floor(rand() * 60) * DAY - 1000).toISOString(),
        `i${i}-${k}`,
        JSON.stringify({ amount: Math.floor(rand() * 100) }),
      ]);
    }
  }
  // Another project's rows with the same distinct ids never count.
  await t.pool.query(`INSERT INTO persons (project_id, bucketing_key, properties) VALUES ($1, 'u1', '{"country":"DE"}')`, [other]);
  await t.pool.query(`INSERT INTO events (project_id, event, distinct_id, time, insert_id) VALUES ($1, 'purchase', 'u1', $2, 'x1')`, [other, new Date(NOW - DAY).toISOString()]);
  const { rows: st } = await t.pool.query<{ id: string }>(
    `INSERT INTO cohorts (project_id, key, name, kind, state) VALUES ($1, 'static-1', 'static', 'static', 'active') RETURNING id`,
    [projectId],
  );
  for (const d of ['u1', 'u2', 'a3', 'u5', 'a6', 'nobody']) await t.pool.query('INSERT INTO static_cohort_members (project_id, cohort_id, distinct_id) VALUES ($1, $2, $3)', [projectId, st[0].id, d]);
  refs.set('static-1', { id: Number(st[0].id), kind: 'static', definition: null } as unknown as CohortRef);
  refs.set('de', { id: 901, kind: 'dynamic', definition: { type: 'person', key: 'country', operator: 'eq', value: 'DE' } } as unknown as CohortRef);
  refs.set('buyers', { id: 902, kind: 'dynamic', definition: { type: 'behavioral', event: 'purchase', count: { op: 'gte', value: 2 } } } as unknown as CohortRef);
  refs.set('not-buyers', {
    id: 903,
    kind: 'dynamic',
    definition: { type: 'AND', values: [{ type: 'cohort', key: 'buyers', operator: 'not_in' }, { type: 'person', key: 'age', operator: 'gt', value: 20 }] },
  } as unknown as CohortRef);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const person = fc.oneof(
  fc.record({ type: fc.constant('person'), key: fc.constant('country'), operator: fc.constantFrom('eq', 'neq'), value: fc.constantFrom(...COUNTRIES), negate: fc.boolean() }),
  fc.record({ type: fc.constant('person'), key: fc.constant('age'), operator: fc.constantFrom('gt', 'lte'), value: fc.integer({ min: 0, max: 60 }), negate: fc.boolean() }),
  fc.record({ type: fc.constant('person'), key: fc.constantFrom('vip', 'country'), operator: fc.constantFrom('is_set', 'is_not_set'), negate: fc.boolean() }),
);
const behavioural = fc.record(
  {
    type: fc.constant('behavioral'),
    event: fc.constantFrom(...EVENTS, '*', 'pur*'),
    operator: fc.constantFrom('performed', 'not_performed'),
    count: fc.record({ op: fc.constantFrom('gte', 'lte', 'eq'), value: fc.integer({ min: 0, max: 3 }) }),
    window: fc.constantFrom({ last: '30d' }, { last: '7d' }),
    where: fc.constant([{ key: 'amount', operator: 'gt', value: 30 }]),
    negate: fc.boolean(),
  },
  { requiredKeys: ['type', 'event', 'operator'] },
);
const reference = fc.record({ type: fc.constant('cohort'), key: fc.constantFrom('static-1', 'de', 'buyers', 'not-buyers'), operator: fc.constantFrom('in', 'not_in'), negate: fc.boolean() });
const { tree } = fc.letrec<{ tree: unknown; leaf: unknown; group: unknown }>((tie) => ({
  leaf: fc.oneof(person, behavioural, reference),
  group: fc.record({ type: fc.constantFrom('AND', 'OR'), negate: fc.boolean(), values: fc.array(tie('tree'), { minLength: 1, maxLength: 4 }) }),
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('group')),
}));

async function run(q: { text: string; values: unknown[] }): Promise<number[]> {
  const rows = await createCohortQueryRunner(t.pool)(q);
  expect(new Set(rows).size).toBe(rows.length);
  return rows.sort((a, b) => a - b);
}

describe('the cohort compiler against the previous one', () => {
  it('selects the same persons on random definitions', async () => {
    let checked = 0;
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(tree, fc.subarray([0, 1, 2, 3, 5, 6, 11, 17, 23, 31]), async (input, restrictTo) => {
        const v = validateCohortDefinition(input);
        fc.pre(v.issues.length === 0);
        const def = v.definition as CohortDefinition as CohortNode;
        const ctx = { projectId, now: NOW, cohortRefs: refs };
        const expected = await run(legacy.compileCohort(def, ctx));
        expect(await run(compileCohort(def, ctx))).toEqual(expected);
        checked++;
        if (expected.length > 0 && expected.length < personIds.length) nonEmpty++;
        const ordered = await createCohortQueryRunner(t.pool)(compileCohort(def, { ...ctx, ordered: true }));
        expect(ordered).toEqual(expected); // ascending as it comes
        if (restrictTo.length) {
          const ids = restrictTo.map((i) => personIds[i]);
          const now = bindPersonIds(compileCohort(def, { ...ctx, restrictToPersonIds: true }), ids);
          const before = legacy.bindPersonIds(legacy.compileCohort(def, { ...ctx, restrictToPersonIds: true }), ids);
          expect(await run(now)).toEqual(await run(before));
        }
      }),
      { numRuns: 150, seed: 16 },
    );
    // The definitions were valid and told persons apart (not all empty or everyone).
    expect(checked).toBeGreaterThan(100);
    expect(nonEmpty).toBeGreaterThan(50);
  }, 180_000);
});
