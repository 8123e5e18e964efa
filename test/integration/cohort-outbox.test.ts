import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createCohortDiffReader } from '../../src/adapters/redis/live-channel.js';
import type { LiveMessage } from '../../src/ports/live-channel.js';
import { createRefreshCohort } from '../../src/refresher/refresh-cohort.js';
import { createCohortSwitchListener } from '../../src/services/live-changes.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

// cohort.refreshed / cohort.members_changed are written in the transaction that records the new
// version in PostgreSQL (docs/webhooks.md "Cohort events"): a switch whose recording rolls back
// announces nothing; the next recorded run announces the change from the recorded version.

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };
let cohortId: number;
const ok = (res: { status: number; body: unknown }) => {
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body as Record<string, any>;
};

async function outbox(type: string) {
  const { rows } = await t.pool.query<{ payload: Record<string, any> }>('SELECT payload FROM webhook_events WHERE project_id = $1 AND type = $2 ORDER BY created_at, id', [p.id, type]);
  return rows.map((r) => r.payload);
}
const recorded = async () => (await t.pool.query<{ version: number }>('SELECT version FROM cohorts WHERE id = $1', [cohortId])).rows[0].version;

/** A refresh whose announcement is written and then the transaction fails (PostgreSQL lost mid-commit). */
function failingRefresh(published: LiveMessage[]) {
  const s = t.stores;
  const listener = createCohortSwitchListener({
    diff: createCohortDiffReader({ redis: t.redis, keys: t.keys }),
    outbox: s.webhooks,
    live: { publish: async (m) => void published.push(m), subscribe: async () => async () => {} },
    logger: pino({ level: 'silent' }),
  });
  return createRefreshCohort({
    leases: s.leases, runQuery: s.runQuery, cohorts: s.cohorts, runs: s.runs, staticMembers: s.staticMembers, membership: s.membership,
    notify: async () => {}, logger: pino({ level: 'silent' }), tx: t.tx,
    onSwitched: async (e) => {
      const a = await listener(e);
      return {
        async record(db) {
          await a.record(db); // the rows are written ...
          throw new Error('connection lost before COMMIT'); // ... and rolled back with the version
        },
        publish: a.publish,
      };
    },
  });
}

beforeAll(async () => {
  t = await createTestContext({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
  p = await t.newProject('cohort-outbox');
  ok(await t.http.post(`/v1/projects/${p.id}/webhooks`).set(t.admin).send({ url: 'http://127.0.0.1:9/hook', event_types: ['cohort.refreshed', 'cohort.members_changed'] }));
  ok(await t.http.post(`/v1/projects/${p.id}/cohorts`).set(t.admin).send({ key: 'pins', name: 'Pins', kind: 'static' }));
  cohortId = (await t.cohortStore.byKey(p.id, 'pins'))!.id;
});
afterAll(async () => {
  await t?.cleanup();
});

describe('cohort events and the recorded change are one transaction', () => {
  it('a recorded refresh writes cohort.refreshed and members_changed with the version it recorded', async () => {
    ok(await t.http.post(`/v1/projects/${p.id}/cohorts/pins/members`).set(t.admin).send({ distinct_ids: ['ann'] }));
    const v = await recorded();
    const refreshed = (await outbox('cohort.refreshed')).filter((e) => e.version === v);
    expect(refreshed).toHaveLength(1);
    expect(refreshed[0]).toMatchObject({ key: 'pins', entered_count: 1, left_count: 0, member_count: 1 });
    const members = (await outbox('cohort.members_changed')).filter((e) => e.version === v);
    expect(members).toEqual([expect.objectContaining({ entered: [{ distinct_id: 'ann' }], left: [] })]);
  });

  it('a switch whose recording rolls back delivers nothing; the next run announces the change from the recorded version', async () => {
    const before = await recorded();
    const eventsBefore = (await outbox('cohort.refreshed')).length;
    await t.stores.staticMembers.add(p.id, cohortId, ['bob']);
    const published: LiveMessage[] = [];
    await expect(failingRefresh(published)(p.id, cohortId, { worker: 'test-failing', leaseMs: 1_000 })).rejects.toThrow(/before COMMIT/);
    // Redis switched, PostgreSQL did not record it, and nothing was written to the outbox or told to streams
    const live = await t.stores.membership.currentVersion(p.id, cohortId);
    expect(live).toBeGreaterThan(before);
    expect(await recorded()).toBe(before);
    expect((await outbox('cohort.refreshed')).length).toBe(eventsBefore);
    expect((await outbox('cohort.members_changed')).some((e) => e.version === live)).toBe(false);
    expect(published).toEqual([]);

    // the failed run's lease expires; a normal run records a newer version and announces it from `before`
    await t.pool.query('UPDATE cohorts SET lease_expires_at = now() - interval \'1 second\' WHERE id = $1', [cohortId]);
    const outcome = await t.cohorts.refreshCohort(p.id, cohortId, { worker: 'test-ok', leaseMs: 10_000 });
    expect(outcome.status).toBe('ok');
    const after = await recorded();
    expect(after).toBeGreaterThan(live!);
    const refreshed = (await outbox('cohort.refreshed')).slice(eventsBefore);
    expect(refreshed).toEqual([expect.objectContaining({ version: after, previous_version: before, entered_count: 1, left_count: 0, member_count: 2 })]);
    const members = (await outbox('cohort.members_changed')).filter((e) => e.version === after);
    expect(members).toEqual([expect.objectContaining({ entered: [{ distinct_id: 'bob' }], left: [] })]);
  });
});
