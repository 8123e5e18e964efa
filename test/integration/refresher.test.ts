import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { createPool } from '../../src/adapters/postgres/pool.js';
import { createCohortRefresher } from '../../src/refresher/cohort-refresher.js';
import type { RefreshCohort as RefreshCohortFn } from '../../src/ports/refresh-cohort.js';
import { backoffMs, nextSlot } from '../../src/refresher/schedule.js';
import { cohort, cohortRow, event, liveMembers, person, plan, refreshStack, setProperties, silent } from './support/cohort-fixtures.js';

let t: TestContext;
let stack: ReturnType<typeof refreshStack>;
// The injected clock (unix ms). It starts at the real time so new cohorts (due at the
// database's now()) are due, and moves forward by assignment, never by sleeping.
let clock = 0;
const admin = { keyId: 0, actor: 'test', projectIds: null };

beforeAll(async () => {
  t = await createTestContext();
  stack = refreshStack(t);
});
afterAll(async () => {
  stack.close();
  await t.cleanup();
});

const worker = (name: string, extra: Partial<Parameters<typeof createCohortRefresher>[0]> = {}) =>
  createCohortRefresher({
    stores: { ...t.stores, ...(extra.stores ?? {}) },
    logger: silent,
    metrics: t.metrics,
    refreshCohort: stack.refreshCohort,
    now: () => clock,
    workerId: name,
    ...extra,
  });

const ms = (d: Date | null) => (d ? d.getTime() : null);

describe('the refresher', () => {
  it('materializes a building cohort, then refreshes it on its phase slot and not before', async () => {
    clock = Date.now() + 1_000;
    const p = await t.newProject('schedule', 'pro');
    const a = await person(t, p.id, { plan: 'pro' });
    const b = await person(t, p.id, { plan: 'free' });
    const id = await cohort(t, p.id, 'pro-users', plan('pro'));
    const w = worker('w-schedule');

    const first = await w.runOnce();
    expect(first.outcomes).toEqual([{ cohortId: id, projectId: p.id, result: expect.objectContaining({ status: 'ok', version: 1, memberCount: 1 }) }]);
    let row = await cohortRow(t, id);
    expect(row).toMatchObject({ state: 'active', version: 1, member_count: 1, errors_calculating: 0, lease_owner: null, pending_version: null });
    expect(await liveMembers(t, p.id, id)).toEqual([a.id]);
    const slot = nextSlot(clock, { id, tier: 'pro', refreshIntervalS: null });
    expect(ms(row.next_run_at)).toBe(slot);
    expect(slot - clock).toBeLessThanOrEqual(300_000);

    await setProperties(t, p.id, b.id, { plan: 'pro' });
    clock = slot - 1;
    expect((await w.runOnce()).claimed).toBe(0);
    clock = slot;
    const second = await w.runOnce();
    expect(second.outcomes.map((o) => o.result.status)).toEqual(['ok']);
    row = await cohortRow(t, id);
    expect(row.version).toBe(2);
    expect(ms(row.next_run_at)).toBe(slot + 300_000);
    expect(await liveMembers(t, p.id, id)).toEqual([a.id, b.id].sort((x, y) => x - y));
    expect(await t.redis.exists(t.keys.cohortMembers(p.id, id, 1))).toBe(0); // the old version was dropped

    const history = await t.http.get(`/v1/projects/${p.id}/cohorts/pro-users/calculations`).set(t.admin);
    expect(history.body.data.map((c: { version: number; member_count: number; worker: string }) => [c.version, c.member_count, c.worker])).toEqual([
      [2, 2, 'w-schedule'],
      [1, 1, 'w-schedule'],
    ]);
    const lag = await t.metrics.cohortRefreshLag.get();
    expect(lag.values.find((v) => v.metricName?.endsWith('_count') && v.labels.tier === 'pro')?.value).toBeGreaterThanOrEqual(1);
  });

  it('a cohort asking for a slower interval than its tier gets it, never a faster one', async () => {
    clock = Date.now() + 1_000;
    const p = await t.newProject('slow', 'growth');
    const slow = await cohort(t, p.id, 'slow', plan('x'), 600);
    const fast = await cohort(t, p.id, 'fast', plan('x'), 5);
    await worker('w-intervals').runOnce();
    expect(ms((await cohortRow(t, slow)).next_run_at)).toBe(nextSlot(clock, { id: slow, tier: 'growth', refreshIntervalS: 600 }));
    const fastNext = ms((await cohortRow(t, fast)).next_run_at)!;
    expect(fastNext).toBe(nextSlot(clock, { id: fast, tier: 'growth', refreshIntervalS: null }));
    // on the tier's one-minute grid, not a five-second one
    expect(fastNext % 60_000).toBe(nextSlot(0, { id: fast, tier: 'growth', refreshIntervalS: null }) % 60_000);
  });

  it('keeps a paused cohort frozen while its data changes, and refreshes it after resume', async () => {
    clock = Date.now() + 1_000;
    const p = await t.newProject('paused', 'enterprise');
    const a = await person(t, p.id, { plan: 'pro' });
    const b = await person(t, p.id, { plan: 'free' });
    const id = await cohort(t, p.id, 'frozen', plan('pro'));
    const w = worker('w-paused');
    await w.runOnce();
    expect(await liveMembers(t, p.id, id)).toEqual([a.id]);

    await t.cohortLifecycle.apply(admin, p.id, 'frozen', 'pause');
    await setProperties(t, p.id, b.id, { plan: 'pro' });
    await setProperties(t, p.id, a.id, { plan: 'free' });
    await t.pool.query('UPDATE cohorts SET next_run_at = now() - interval \'1 hour\' WHERE id = $1', [id]);
    clock += 3_600_000;
    const report = await w.runOnce();
    expect(report.outcomes.filter((o) => o.cohortId === id)).toEqual([]);
    expect(await liveMembers(t, p.id, id)).toEqual([a.id]); // frozen, still readable
    expect((await cohortRow(t, id)).state).toBe('paused');

    await t.cohortLifecycle.apply(admin, p.id, 'frozen', 'resume');
    const after = await w.runOnce();
    expect(after.outcomes.filter((o) => o.cohortId === id).map((o) => o.result.status)).toEqual(['ok']);
    expect(await liveMembers(t, p.id, id)).toEqual([b.id]);
  });

  it('skips archived cohorts, drops their Redis keys after the grace period, and rebuilds them on restore', async () => {
    clock = Date.now() + 1_000;
    const p = await t.newProject('archive', 'growth');
    const a = await person(t, p.id, { plan: 'pro' });
    const id = await cohort(t, p.id, 'old', plan('pro'));
    const w = worker('w-archive');
    await w.runOnce();
    expect(await liveMembers(t, p.id, id)).toEqual([a.id]);

    await t.cohortLifecycle.apply(admin, p.id, 'old', 'archive');
    await t.pool.query('UPDATE cohorts SET next_run_at = now() - interval \'1 hour\' WHERE id = $1', [id]);
    clock += 600_000;
    expect((await w.runOnce()).outcomes.filter((o) => o.cohortId === id)).toEqual([]);
    // within the grace period nothing is dropped
    expect(await w.cleanup.runNow(Date.now() + 60_000)).toEqual([]);
    expect(await liveMembers(t, p.id, id)).toEqual([a.id]);

    expect(await w.cleanup.runNow(Date.now() + 2 * 3_600_000)).toContain(id);
    expect(await t.redis.exists(t.keys.cohortCurrent(p.id, id), t.keys.cohortMembers(p.id, id, 1))).toBe(0);
    expect(await w.cleanup.runNow(Date.now() + 3 * 3_600_000)).not.toContain(id); // recorded: done once
    const row = await cohortRow(t, id);
    expect(row).toMatchObject({ state: 'archived', version: 1, member_count: 0 });
    const history = await t.http.get(`/v1/projects/${p.id}/cohorts/old/calculations`).set(t.admin);
    expect(history.body.data[0]).toMatchObject({ version: 1, member_count: 0, stats: { kind: 'cleanup', redis_keys_dropped: 5 } }); // the pointer, the version's index, its one chunk and their kind keys (:k, :k<chunk>)

    const restored = await t.cohortLifecycle.apply(admin, p.id, 'old', 'restore');
    expect(restored.state).toBe('building');
    const rebuilt = await w.runOnce();
    expect(rebuilt.outcomes.filter((o) => o.cohortId === id).map((o) => o.result)).toEqual([expect.objectContaining({ status: 'ok', version: 2 })]);
    expect(await cohortRow(t, id)).toMatchObject({ state: 'active', version: 2, member_count: 1 });
    expect(await liveMembers(t, p.id, id)).toEqual([a.id]);
  });

  it('records a failing query with its error code, keeps the old members live, and backs off', async () => {
    clock = Date.now() + 1_000;
    const p = await t.newProject('failing', 'enterprise');
    const a = await person(t, p.id, { plan: 'pro', email: 'a@example.com' });
    const id = await cohort(t, p.id, 'breaks', plan('pro'));
    const w = worker('w-fail');
    await w.runOnce();
    const good = await cohortRow(t, id);
    expect(good.version).toBe(1);

    // A definition the API would refuse, written behind its back: PostgreSQL rejects the regex.
    await t.pool.query(`UPDATE cohorts SET definition = '{"type":"person","key":"email","operator":"regex","value":"(unclosed"}' WHERE id = $1`, [id]);
    const failures: number[] = [];
    for (let n = 1; n <= 3; n++) {
      clock = ms((await cohortRow(t, id)).next_run_at)!;
      const report = await w.runOnce();
      expect(report.outcomes.filter((o) => o.cohortId === id).map((o) => o.result)).toEqual([expect.objectContaining({ status: 'failed', code: 'invalid_regex' })]);
      const row = await cohortRow(t, id);
      expect(row).toMatchObject({ errors_calculating: n, last_error_code: 'invalid_regex', version: 1, member_count: 1, state: 'active', pending_version: null });
      expect(ms(row.last_calculated_at)).toBe(ms(good.last_calculated_at)); // the last good as-of time stays visible
      expect(ms(row.next_run_at)).toBe(clock + backoffMs(n, 30, id));
      failures.push(ms(row.next_run_at)! - clock);
      expect(await liveMembers(t, p.id, id)).toEqual([a.id]); // the previous version stays live
    }
    expect(failures[1]).toBeGreaterThan(failures[0] * 1.7);
    expect(failures[2]).toBeGreaterThan(failures[1] * 1.7);

    const history = await t.http.get(`/v1/projects/${p.id}/cohorts/breaks/calculations?limit=1`).set(t.admin);
    // each failed run reserved version 2 and gave it back
    expect(history.body.data.map((c: { version: number; error_code: string | null }) => [c.version, c.error_code])).toEqual([[2, 'invalid_regex']]);
    expect(history.body.data[0].member_count).toBeNull();
    expect(history.body.data[0].error_message).toMatch(/regular expression/i);
    expect(history.body.data[0].finished_at).not.toBeNull();
    const failed = await t.metrics.cohortRefreshFailures.get();
    expect(failed.values.find((v) => v.labels.tier === 'enterprise' && v.labels.code === 'invalid_regex')?.value).toBe(3);

    await t.pool.query(`UPDATE cohorts SET definition = $2 WHERE id = $1`, [id, JSON.stringify(plan('pro'))]);
    clock = ms((await cohortRow(t, id)).next_run_at)!;
    await w.runOnce();
    expect(await cohortRow(t, id)).toMatchObject({ errors_calculating: 0, version: 2, last_error_code: 'invalid_regex' });
    expect(ms((await cohortRow(t, id)).next_run_at)).toBe(nextSlot(clock, { id, tier: 'enterprise', refreshIntervalS: null }));
  });

  it('two workers on the same database never run one cohort at once, and together run each due cohort once', async () => {
    clock = Date.now() + 1_000;
    const p = await t.newProject('shared', 'growth');
    for (let i = 0; i < 5; i++) await person(t, p.id, { plan: i % 2 ? 'pro' : 'free' });
    const ids: number[] = [];
    for (let i = 0; i < 16; i++) ids.push(await cohort(t, p.id, `c${i}`, plan(i % 2 ? 'pro' : 'free')));

    // Two workers with their own connection pools; the wrapper watches for overlaps.
    const inFlight = new Map<number, string>();
    let overlaps = 0;
    const runsBy: Record<string, number> = { A: 0, B: 0 };
    const watched = (name: string, inner: RefreshCohortFn): RefreshCohortFn => async (projectId, cohortId, opts) => {
      if (projectId !== p.id) return inner(projectId, cohortId, opts); // cohorts of earlier tests
      if (inFlight.has(cohortId)) overlaps++;
      inFlight.set(cohortId, name);
      try {
        await new Promise((r) => setTimeout(r, 5)); // widen the window a race would need
        return await inner(projectId, cohortId, opts);
      } finally {
        inFlight.delete(cohortId);
        runsBy[name]++;
      }
    };
    const poolB = createPool(t.config.DATABASE_URL, 3);
    const stackB = refreshStack(t, poolB);
    try {
      const A = worker('A', { refreshCohort: watched('A', stack.refreshCohort), batchSize: 6 });
      const B = worker('B', { stores: stackB, refreshCohort: watched('B', stackB.refreshCohort), batchSize: 6 });
      for (let round = 0; round < 3; round++) {
        // both loop until nothing is due this round
        const drain = async (w: typeof A) => {
          while ((await w.runOnce()).claimed > 0);
        };
        await Promise.all([drain(A), drain(B)]);
        clock += 60_000; // every cohort is due once more
      }
      expect(overlaps).toBe(0);
      expect(runsBy.A + runsBy.B).toBe(16 * 3);
      expect(runsBy.A).toBeGreaterThan(0);
      expect(runsBy.B).toBeGreaterThan(0);
      const { rows } = await t.pool.query(
        `SELECT count(*)::int AS n FROM cohort_calculations x JOIN cohort_calculations y
            ON x.cohort_id = y.cohort_id AND x.id < y.id
           AND tstzrange(x.started_at, x.finished_at) && tstzrange(y.started_at, y.finished_at)
         WHERE x.project_id = $1`,
        [p.id],
      );
      expect(rows[0].n).toBe(0);
      const versions = await t.pool.query('SELECT DISTINCT version FROM cohorts WHERE project_id = $1', [p.id]);
      expect(versions.rows).toEqual([{ version: 3 }]);
    } finally {
      stackB.close();
      await poolB.end();
    }
  });

  it('takes over a cohort whose worker died mid-run once its lease expires', async () => {
    clock = Date.now() + 1_000;
    const p = await t.newProject('dead', 'enterprise');
    const a = await person(t, p.id, { plan: 'pro' });
    const id = await cohort(t, p.id, 'orphan', plan('pro'));
    const live = worker('live');
    await live.runOnce();
    expect(await liveMembers(t, p.id, id)).toEqual([a.id]);

    // What a worker killed mid-run leaves behind: its lease (short, here), a claim hold,
    // a pending version, a half-written set and an open history row.
    const leased = await stack.leases.acquire(p.id, id, 'dead-worker', 400);
    expect(leased).not.toBeNull();
    const { version } = await stack.runs.startRun(p.id, id, 'dead-worker');
    await t.redis.sadd(t.keys.cohortMembers(p.id, id, version), '999999');
    await t.pool.query('UPDATE cohorts SET next_run_at = $2 WHERE id = $1', [id, new Date(clock - 1)]);

    expect((await live.runOnce()).claimed).toBe(0); // the lease still holds
    expect(await liveMembers(t, p.id, id)).toEqual([a.id]); // readers keep the previous version
    await new Promise((r) => setTimeout(r, 450)); // the lease runs out (real time: PostgreSQL's clock)

    const report = await live.runOnce();
    expect(report.outcomes.filter((o) => o.cohortId === id).map((o) => o.result)).toEqual([expect.objectContaining({ status: 'ok', version: version + 1 })]);
    expect(await liveMembers(t, p.id, id)).toEqual([a.id]);
    expect(await t.redis.exists(t.keys.cohortMembers(p.id, id, version))).toBe(0);
    expect(await cohortRow(t, id)).toMatchObject({ lease_owner: null, pending_version: null, version: version + 1 });
    const dead = await t.pool.query('SELECT error_code, finished_at FROM cohort_calculations WHERE cohort_id = $1 AND worker = $2', [id, 'dead-worker']);
    expect(dead.rows).toEqual([{ error_code: 'interrupted', finished_at: expect.any(Date) }]);
  });

  it('leaves a cohort someone else is computing to them and returns it to its slot', async () => {
    clock = Date.now() + 1_000;
    const p = await t.newProject('busy', 'growth');
    const id = await cohort(t, p.id, 'contended', plan('pro'));
    // an admin's refresh-now holds the lease while its cohort is due; a live lease is
    // skipped by the claim, so make the claim see it expired but refreshCohort see it held
    expect(await stack.leases.acquire(p.id, id, 'api:refresh-now', 60_000)).not.toBeNull();
    await t.pool.query(`UPDATE cohorts SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const w = worker('w-busy', {
      refreshCohort: async (projectId, cohortId, opts) => {
        await t.pool.query(`UPDATE cohorts SET lease_expires_at = now() + interval '1 minute' WHERE id = $1`, [cohortId]);
        return stack.refreshCohort(projectId, cohortId, opts);
      },
    });
    const report = await w.runOnce();
    expect(report.outcomes.filter((o) => o.cohortId === id).map((o) => o.result)).toEqual([{ status: 'busy' }]);
    const row = await cohortRow(t, id);
    expect(row).toMatchObject({ lease_owner: 'api:refresh-now', version: 0 });
    expect(ms(row.next_run_at)).toBe(nextSlot(clock, { id, tier: 'growth', refreshIntervalS: null }));
  });

  it('runs dependencies before the cohorts that reference them', async () => {
    clock = Date.now() + 1_000;
    const p = await t.newProject('nested', 'pro');
    const a = await person(t, p.id, { plan: 'pro' });
    await event(t, p.id, a.distinctId, 'signup');
    // created first, so it has the lower id and would otherwise go first
    const outer = await cohort(t, p.id, 'outer', { type: 'AND', values: [{ type: 'cohort', key: 'inner', operator: 'in' }, { type: 'behavioral', event: 'signup', operator: 'performed' }] });
    const inner = await cohort(t, p.id, 'inner', plan('pro'));

    // one at a time: the claim defers `outer` while `inner` is due
    const one = worker('w-deps-1', { batchSize: 1 });
    expect((await one.runOnce()).outcomes.map((o) => o.cohortId)).toEqual([inner]);
    expect((await one.runOnce()).outcomes.map((o) => o.cohortId)).toEqual([outer]);
    expect(await liveMembers(t, p.id, inner)).toEqual([a.id]);
    expect(await liveMembers(t, p.id, outer)).toEqual([a.id]);

    // both in one batch (outer has waited past MAX_DEPENDENCY_WAIT_MS, so it is claimed
    // too, first in claim order): topological order inside the tick still runs inner first
    await t.pool.query('UPDATE cohorts SET next_run_at = $2 WHERE project_id = $1', [p.id, new Date(clock - 200_000)]);
    const batch = worker('w-deps-2', { concurrency: 2 });
    expect((await batch.runOnce()).outcomes.map((o) => o.cohortId).filter((c) => c === inner || c === outer)).toEqual([inner, outer]);
  });

  it('stops cleanly: start() ticks on its own, stop() waits for the run in progress', async () => {
    clock = Date.now() + 1_000;
    const p = await t.newProject('loop', 'growth');
    const id = await cohort(t, p.id, 'looped', plan('x'));
    const w = worker('w-loop', { tickMs: 20 });
    w.start();
    for (let i = 0; i < 100 && (await cohortRow(t, id)).state !== 'active'; i++) await new Promise((r) => setTimeout(r, 20));
    await w.stop();
    expect((await cohortRow(t, id)).state).toBe('active');
  });
});
