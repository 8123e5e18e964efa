/**
 * Fault: the refresher killed (SIGKILL) mid-materialization (PRODUCT.md 6.3, 12). A real
 * `switchboard worker` child process refreshes a cohort of a few hundred thousand persons
 * (seeded with SQL); it is killed as soon as the new version's set starts filling in Redis,
 * while readers poll membership the way decisions read it. Asserts: the previous version
 * stays live, no reader ever sees a half-written cohort, and the next run (another refresher,
 * once the dead one's lease has expired) completes, closes the dead run's history row as
 * `interrupted` and drops the partial set.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildWorker, type ChildWorker } from '../helpers/child-worker.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { testRedisUrl } from '../helpers/databases.js';
import { recordFigures } from '../helpers/fault-figures.js';

const BEFORE = 100_000; // members of the live version
let AFTER = 0; // members the killed run was computing (about 150,000; counted)

let t: TestContext;
let redis: Redis;
let projectId: number;
let cohortId: number;
const workers: ChildWorker[] = [];

// The pointer and the SCARD of the set it names, read in one script: what one reader can see.
/** The live version and its member count, in one script (the chunked layout of membership-lua.ts). */
const READ = `local v = redis.call('GET', KEYS[1]) if not v then return {false, 0} end
local index = ARGV[1] .. v
local n = redis.call('SCARD', index .. ':d')
for _, c in ipairs(redis.call('SMEMBERS', index)) do n = n + redis.call('SCARD', index .. ':s' .. c) + redis.call('BITCOUNT', index .. ':b' .. c) end
return {v, n}`;

beforeAll(async () => {
  t = await createTestContext({ RUN_WORKER: 'false' });
  redis = new Redis(testRedisUrl(), { lazyConnect: false, maxRetriesPerRequest: 1 });
  const p = await t.newProject('kill', 'enterprise');
  projectId = p.id;
  // This file's own database: without the GIN index the persons seed in a third of the time.
  await t.pool.query('DROP INDEX IF EXISTS persons_properties_gin');
  await t.pool.query(
    `INSERT INTO persons (project_id, bucketing_key, properties)
     SELECT $1, 'seed-' || g, jsonb_build_object('plan', CASE WHEN g % 2 = 0 THEN 'pro' ELSE 'free' END)
       FROM generate_series(1, ${2 * BEFORE}) g`,
    [projectId],
  );
  const res = await t.http.post(`/v1/projects/${projectId}/cohorts`).set(t.admin).send({ key: 'pro', name: 'Pro', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'pro' } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  cohortId = Number((await t.pool.query<{ id: string }>('SELECT id FROM cohorts WHERE project_id = $1 AND key = $2', [projectId, 'pro'])).rows[0].id);
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.kill();
  redis?.disconnect();
  await t?.cleanup();
});

const cohortRow = async () =>
  (await t.pool.query<{ version: number; pending_version: number | null; member_count: number; lease_owner: string | null }>(
    'SELECT version, pending_version, member_count, lease_owner FROM cohorts WHERE id = $1', [cohortId],
  )).rows[0];

describe('fault: the refresher killed mid-materialization', () => {
  it('keeps the previous version live, never shows half a cohort, and the next run completes', async () => {
    const current = t.keys.cohortCurrent(projectId, cohortId);
    const base = t.keys.cohortMembersBase(projectId, cohortId);
    const read = async () => {
      const [v, n] = (await redis.eval(READ, 1, current, base)) as [string | null, number];
      return { version: v === null ? null : Number(v), count: Number(n) };
    };

    const firstStarted = performance.now();
    const first = await t.http.post(`/v1/projects/${projectId}/cohorts/pro/refresh`).set(t.admin);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const firstRefreshMs = Math.round(performance.now() - firstStarted);
    expect(await read()).toEqual({ version: 1, count: BEFORE });

    // The next run would add about 50,000 members; make it due and hand it to a worker process.
    await t.pool.query(`UPDATE persons SET properties = '{"plan":"pro"}' WHERE project_id = $1 AND id % 4 = 1`, [projectId]);
    AFTER = Number((await t.pool.query<{ n: string }>("SELECT count(*) AS n FROM persons WHERE project_id = $1 AND properties->>'plan' = 'pro'", [projectId])).rows[0].n);
    await t.pool.query("UPDATE cohorts SET next_run_at = now() - interval '1 second' WHERE id = $1", [cohortId]);
    const env = { DATABASE_URL: t.config.DATABASE_URL, REDIS_URL: testRedisUrl(), REDIS_PREFIX: t.config.REDIS_PREFIX };

    // Readers, all along: the raw pointer+set read, and the decision path's membership read.
    const seen = new Map<string, number>();
    const inconsistent: string[] = [];
    // a person in both versions (even seed number, untouched) and one the new version adds (odd, updated)
    const { rows: [probe] } = await t.pool.query<{ both: string; added: string }>(
      `SELECT (SELECT min(id) FROM persons WHERE project_id = $1 AND id % 4 <> 1 AND substr(bucketing_key, 6)::int % 2 = 0) AS both,
              (SELECT min(id) FROM persons WHERE project_id = $1 AND id % 4 = 1 AND substr(bucketing_key, 6)::int % 2 = 1) AS added`,
      [projectId],
    );
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        const r = await read();
        const key = `v${r.version}:${r.count}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        const [both, added] = await Promise.all([
          t.stores.membership.membership(projectId, [cohortId], { personId: Number(probe.both), distinctIds: [] }),
          t.stores.membership.membership(projectId, [cohortId], { personId: Number(probe.added), distinctIds: [] }),
        ]);
        if (!both[0].member) inconsistent.push(`a member of both versions read as not a member (v${both[0].version})`);
        if (added[0].member !== (added[0].version !== 1)) inconsistent.push(`a new member read as ${added[0].member} in v${added[0].version}`);
        reads++;
      }
    })();

    const startedAt = performance.now();
    const victim = startChildWorker(env);
    workers.push(victim);
    // Kill it the moment the new version's set has members (it is being written, not yet live).
    const pending = `${base}2`;
    let partial = 0;
    // (a worker process takes 3 s to start and compute on a quiet machine, 20 s and more on a loaded one)
    while (performance.now() - startedAt < 60_000) {
      partial = await redis.scard(pending);
      if (partial > 0) break;
      if (victim.proc.exitCode !== null) throw new Error(`worker exited: ${victim.output()}`);
      await new Promise((r) => setTimeout(r, 1));
    }
    await victim.kill();
    const killedAfterMs = Math.round(performance.now() - startedAt);
    const partialAtKill = partial;
    const partialAfterKill = await redis.scard(pending);
    expect(partial, `the worker never started writing: ${victim.output()}`).toBeGreaterThan(0);

    const afterKill = await read();
    const row = await cohortRow();
    expect(afterKill, 'the previous version stays live').toEqual({ version: 1, count: BEFORE });
    expect(row).toMatchObject({ version: 1, pending_version: 2, member_count: BEFORE });
    expect(row.lease_owner, 'the dead worker still holds its lease').not.toBeNull();

    // Its lease (60 s by default, renewed every 20 s while alive) expires; another refresher (this process's) takes the cohort over.
    await t.pool.query("UPDATE cohorts SET lease_expires_at = now() - interval '1 second', next_run_at = now() - interval '1 second' WHERE id = $1", [cohortId]);
    const takeoverStarted = performance.now();
    const tick = await t.refresher.runOnce();
    const takeoverMs = Math.round(performance.now() - takeoverStarted);
    const done = await cohortRow();
    reading = false;
    await reader;

    expect(tick.outcomes.map((o) => o.result.status)).toEqual(['ok']);
    expect(done).toMatchObject({ version: 3, pending_version: null, member_count: AFTER, lease_owner: null });
    expect(await read()).toEqual({ version: 3, count: AFTER });
    expect(await redis.exists(pending), 'the partial set is dropped').toBe(0);
    const { rows: history } = await t.pool.query<{ version: number; error_code: string | null; member_count: number | null; finished_at: Date | null; duration_ms: number | null }>(
      'SELECT version, error_code, member_count, finished_at, duration_ms FROM cohort_calculations WHERE cohort_id = $1 ORDER BY id', [cohortId],
    );
    expect(history.map((h) => [h.version, h.error_code, h.member_count])).toEqual([[1, null, BEFORE], [2, 'interrupted', null], [3, null, AFTER]]);
    expect(history.every((h) => h.finished_at !== null)).toBe(true);

    // Only whole versions were ever read.
    expect([...seen.keys()].filter((k) => k !== `v1:${BEFORE}` && k !== `v3:${AFTER}`)).toEqual([]);
    expect(inconsistent.slice(0, 3)).toEqual([]);

    await recordFigures('refresher-killed-mid-materialization', {
      members_before: BEFORE,
      members_after: AFTER,
      first_refresh_ms: firstRefreshMs,
      worker_killed_after_start_ms: killedAfterMs,
      partial_set_members_at_kill: partialAtKill,
      partial_set_members_after_kill: partialAfterKill,
      reads_during_test: reads,
      versions_read: Object.fromEntries(seen),
      half_cohorts_read: 0,
      next_run_after_lease_expiry_ms: takeoverMs,
      next_run_duration_ms: history[2].duration_ms,
      lease_ms_default: 60_000,
    });
  }, 120_000);
});
