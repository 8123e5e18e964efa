/**
 * Fixtures for the refresher tests: the real refresh stack (PostgreSQL + Redis) built from
 * the cohort modules, and rows written with plain SQL so the tests do not depend on the
 * feeds' or cohorts' HTTP APIs.
 */
import { readVersionMembers } from '../../../src/adapters/redis/membership-read.js';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { createRedis } from '../../../src/adapters/redis/client.js';
import { createCohortStore } from '../../../src/adapters/postgres/cohort-store.js';
import { createCohortRunStore } from '../../../src/adapters/postgres/cohort-run-store.js';
import { createCohortQueryRunner } from '../../../src/adapters/postgres/cohort-query-runner.js';
import { createRefreshLeaseStore } from '../../../src/adapters/postgres/refresh-lease-store.js';
import { createEventPartitions } from '../../../src/adapters/postgres/event-partitions.js';
import { createArchiveCleanupStore } from '../../../src/adapters/postgres/archive-cleanup-store.js';
import { createStaticMemberStore } from '../../../src/adapters/postgres/static-member-store.js';
import { createMembershipStore } from '../../../src/adapters/redis/membership-store.js';
import { createRefreshCohort } from '../../../src/refresher/refresh-cohort.js';
import { createRecomputePersons } from '../../../src/services/recompute-persons.js';
import type { CohortDefinition } from '../../../src/cohorts/cohort-definition.js';
import type { Pool } from '../../../src/adapters/postgres/pool.js';
import type { TestContext } from '../../helpers/context.js';
import { testRedisUrl } from '../../helpers/databases.js';

export const silent = pino({ level: 'silent' });

/** refreshCohort and recomputePersons over the test context's database and Redis prefix. */
export function refreshStack(t: TestContext, pool: Pool = t.pool) {
  const bulk = createRedis({ url: testRedisUrl() });
  const cohorts = createCohortStore(pool);
  const runs = createCohortRunStore(pool);
  const leases = createRefreshLeaseStore(pool);
  const runQuery = createCohortQueryRunner(pool);
  const membership = createMembershipStore({ redis: t.redis, bulk, keys: t.keys });
  const refreshCohort = createRefreshCohort({ leases, runQuery, cohorts, runs, staticMembers: createStaticMemberStore(pool), membership, notify: async () => {} });
  const recomputePersons = createRecomputePersons({ runQuery, cohorts, membership });
  const archiveCleanup = createArchiveCleanupStore(pool);
  const eventPartitions = createEventPartitions(pool);
  return { cohorts, runs, leases, membership, archiveCleanup, eventPartitions, refreshCohort, recomputePersons, close: () => bulk.disconnect() };
}

/** A person with one distinct_id and properties; returns its id. */
export async function person(t: TestContext, projectId: number, properties: Record<string, unknown> = {}, distinctId = `u_${randomBytes(4).toString('hex')}`) {
  const { rows } = await t.pool.query<{ id: number }>(
    'INSERT INTO persons (project_id, bucketing_key, properties, first_seen, last_seen) VALUES ($1, $2, $3, now(), now()) RETURNING id',
    [projectId, distinctId, JSON.stringify(properties)],
  );
  await t.pool.query('INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) VALUES ($1, $2, $3)', [projectId, distinctId, rows[0].id]);
  return { id: rows[0].id, distinctId };
}

export async function setProperties(t: TestContext, projectId: number, personId: number, properties: Record<string, unknown>) {
  await t.pool.query('UPDATE persons SET properties = properties || $3::jsonb WHERE project_id = $1 AND id = $2', [projectId, personId, JSON.stringify(properties)]);
}

export async function event(t: TestContext, projectId: number, distinctId: string, name: string, timeMs = Date.now()) {
  await t.pool.query(
    'INSERT INTO events (project_id, event, distinct_id, time, insert_id) VALUES ($1, $2, $3, $4, $5)',
    [projectId, name, distinctId, new Date(timeMs), randomBytes(8).toString('hex')],
  );
}

/** A dynamic cohort in state building, due now; returns its id. */
export async function cohort(t: TestContext, projectId: number, key: string, definition: CohortDefinition, refreshIntervalS: number | null = null) {
  const c = await createCohortStore(t.pool).insert({ projectId, key, name: key, description: '', kind: 'dynamic', definition, refreshIntervalS });
  return c.id;
}

/** Person ids in the live version of a cohort, sorted (what decisions read). */
export async function liveMembers(t: TestContext, projectId: number, cohortId: number): Promise<number[]> {
  const v = await t.redis.get(t.keys.cohortCurrent(projectId, cohortId));
  if (v === null) return [];
  return (await readVersionMembers(t.redis, t.keys, projectId, cohortId, Number(v))).map(Number).sort((a, b) => a - b);
}

export async function cohortRow(t: TestContext, cohortId: number) {
  const { rows } = await t.pool.query('SELECT * FROM cohorts WHERE id = $1', [cohortId]);
  return rows[0];
}

export const plan = (value: string): CohortDefinition => ({ type: 'person', key: 'plan', operator: 'in', value: [value] });
