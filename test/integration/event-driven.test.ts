import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { createEventDrivenRecompute } from '../../src/services/event-driven-recompute.js';
import { cohort, cohortRow, liveMembers, silent } from './support/cohort-fixtures.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  await t.cleanup();
});

const personOf = async (projectId: number, distinctId: string) =>
  Number((await t.pool.query('SELECT person_id FROM person_distinct_ids WHERE project_id = $1 AND distinct_id = $2', [projectId, distinctId])).rows[0].person_id);

/** Polls until `check` holds or `ms` pass (the recompute is asynchronous by design). */
async function eventually(check: () => Promise<boolean>, ms = 3_000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - started;
}

const calculations = async (cohortId: number) =>
  Number((await t.pool.query('SELECT count(*) FROM cohort_calculations WHERE cohort_id = $1', [cohortId])).rows[0].count);

/** Materializes the cohorts once (the scheduled path), so they are active with a live version. */
async function refreshAll(projectId: number, ids: number[]) {
  for (const id of ids) expect(await t.cohorts.refreshCohort(projectId, id, { worker: 'test' })).toMatchObject({ status: 'ok' });
}

describe('event-driven recompute (enterprise tier)', () => {
  it('puts a person into a behavioural cohort after an event, and into and out of a property cohort after $set, without a scheduled run', async () => {
    const p = await t.newProject('ent', 'enterprise');
    const engage = (body: object) => t.http.post('/v1/engage').set(p.bearer).send(body);
    expect((await engage({ distinct_id: 'ann', $set: { plan: 'free' } })).status).toBe(200);
    const ann = await personOf(p.id, 'ann');
    const buyers = await cohort(t, p.id, 'buyers', { type: 'behavioral', event: 'purchase', operator: 'performed', window: { last: '30d' } });
    const pros = await cohort(t, p.id, 'pros', { type: 'person', key: 'plan', operator: 'in', value: ['pro', 'team'] });
    await refreshAll(p.id, [buyers, pros]);
    expect(await liveMembers(t, p.id, buyers)).toEqual([]);
    expect(await liveMembers(t, p.id, pros)).toEqual([]);
    const before = { buyers: await calculations(buyers), pros: await calculations(pros) };

    const sent = await t.http.post('/v1/events').set(p.bearer).send({ event: 'purchase', distinct_id: 'ann', properties: { amount: 12 } });
    expect(sent.status).toBe(200);
    const tookMs = await eventually(async () => (await liveMembers(t, p.id, buyers)).includes(ann));
    expect(tookMs).toBeLessThan(3_000);

    expect((await engage({ distinct_id: 'ann', $set: { plan: 'pro' } })).status).toBe(200);
    await eventually(async () => (await liveMembers(t, p.id, pros)).includes(ann));
    expect((await engage({ distinct_id: 'ann', $set: { plan: 'free' } })).status).toBe(200);
    await eventually(async () => !(await liveMembers(t, p.id, pros)).includes(ann));

    // no refresh ran: same live version, no new history rows
    expect((await cohortRow(t, buyers)).version).toBe(1);
    expect((await cohortRow(t, pros)).version).toBe(1);
    expect({ buyers: await calculations(buyers), pros: await calculations(pros) }).toEqual(before);
    const counted = await t.metrics.cohortEventRecompute.get();
    expect(counted.values.find((v) => v.labels.outcome === 'recomputed')?.value).toBeGreaterThanOrEqual(3);
  });

  it('leaves paused cohorts frozen', async () => {
    const p = await t.newProject('ent-paused', 'enterprise');
    await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'bob', $set: { plan: 'free' } });
    const bob = await personOf(p.id, 'bob');
    const pros = await cohort(t, p.id, 'pros', { type: 'person', key: 'plan', operator: 'in', value: ['pro'] });
    const watch = await cohort(t, p.id, 'watch', { type: 'person', key: 'plan', operator: 'is_set' });
    await refreshAll(p.id, [pros, watch]);
    await t.cohortLifecycle.apply({ keyId: 0, actor: 'test', projectIds: null }, p.id, 'pros', 'pause');
    await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'bob', $set: { plan: 'pro' } });
    await t.eventDrivenRecompute.flush();
    expect(await liveMembers(t, p.id, pros)).toEqual([]);
    expect(await liveMembers(t, p.id, watch)).toEqual([bob]);
  });

  it('does nothing for projects below the enterprise tier (the scheduled refresh covers them)', async () => {
    const p = await t.newProject('pro-tier', 'pro');
    await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'cy', $set: { plan: 'free' } });
    const buyers = await cohort(t, p.id, 'buyers', { type: 'behavioral', event: 'purchase', operator: 'performed' });
    await refreshAll(p.id, [buyers]);
    await t.http.post('/v1/events').set(p.bearer).send({ event: 'purchase', distinct_id: 'cy' });
    await t.eventDrivenRecompute.flush();
    await new Promise((r) => setTimeout(r, 400)); // longer than a flush period
    expect(await liveMembers(t, p.id, buyers)).toEqual([]);
    expect(t.eventDrivenRecompute.pending()).toBe(0);
  });
});

describe('the recompute queue', () => {
  it('batches per project, deduplicates, bounds the queue and never blocks the caller', async () => {
    const calls: Array<[number, number[]]> = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const outcomes: Record<string, number> = {};
    const q = createEventDrivenRecompute({
      recomputePersons: async (projectId, ids) => {
        calls.push([projectId, ids]);
        await gate;
      },
      tierOf: async (projectId) => (projectId === 3 ? 'growth' : 'enterprise'),
      logger: silent,
      onPersons: (o, n) => (outcomes[o] = (outcomes[o] ?? 0) + n),
      flushMs: 10_000, // flushed by hand below
      maxQueued: 5,
      batchSize: 2,
    });
    await q.listener.personsChanged!(1, [1, 2, 2, 3]);
    await q.listener.personsChanged!(2, [7]);
    await q.listener.personsChanged!(1, [3, 4, 5, 6]); // 4 is the fifth: 5 and 6 are dropped
    expect(q.pending()).toBe(5);
    expect(outcomes.dropped).toBe(2);
    const flushing = q.flush();
    release();
    await flushing;
    expect(calls).toEqual([[1, [1, 2]], [1, [3, 4]], [2, [7]]]);
    expect(outcomes.recomputed).toBe(5);

    await q.listener.personsChanged!(3, [9]); // not enterprise: learned at flush, skipped at once afterwards
    await q.flush();
    await q.listener.personsChanged!(3, [10]);
    expect(q.pending()).toBe(0);
    expect(calls).toHaveLength(3);
    await q.stop();
  });
});
