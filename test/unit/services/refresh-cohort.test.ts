/**
 * One cohort refresh (src/refresher/refresh-cohort.ts) over in-memory fakes: cohort rows with
 * their leases and history, static member lists, a query runner that answers ids instead of
 * running SQL, and versioned membership sets. The SQL, the database clock and Redis's
 * atomicity stay covered in test/integration/materialization.test.ts and refresher.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { CohortDefinition } from '../../../src/domain/cohort-definition.js';
import type { CohortRunStore } from '../../../src/ports/cohort-run-store.js';
import { createRefreshCohort } from '../../../src/refresher/refresh-cohort.js';
import { createFakeClock } from '../../fakes/fake-clock.js';
import { createFakeCohortQueryRunner } from '../../fakes/fake-cohort-query-runner.js';
import { createFakeCohortRunStore } from '../../fakes/fake-cohort-run-store.js';
import { createFakeCohortStore } from '../../fakes/fake-cohort-store.js';
import { createFakeMembershipStore } from '../../fakes/fake-membership-store.js';
import { createFakePersonStore } from '../../fakes/fake-person-store.js';
import { createFakeRefreshLeaseStore } from '../../fakes/fake-refresh-lease-store.js';
import { createFakeStaticMemberStore } from '../../fakes/fake-static-member-store.js';

const T0 = 1_700_000_000_000;
const P = 1;
const pro: CohortDefinition = { type: 'person', key: 'plan', operator: 'eq', value: 'pro' };

function setup(opts: { maxMembers?: number; runs?: (real: CohortRunStore) => CohortRunStore } = {}) {
  const clock = createFakeClock(T0);
  const cohorts = createFakeCohortStore({ now: clock });
  const realRuns = createFakeCohortRunStore(cohorts);
  const runs = opts.runs ? opts.runs(realRuns) : realRuns;
  const leases = createFakeRefreshLeaseStore(cohorts);
  const persons = createFakePersonStore({ now: clock });
  const staticMembers = createFakeStaticMemberStore({ persons, cohorts, now: clock });
  const membership = createFakeMembershipStore();
  const runQuery = createFakeCohortQueryRunner();
  const notified: number[] = [];
  const refreshCohort = createRefreshCohort({
    runQuery, leases, cohorts, runs, staticMembers, membership, clock, maxMembers: opts.maxMembers,
    notify: async (projectId) => void notified.push(projectId),
  });
  const refresh = (cohortId: number, worker = 'w1', now?: number) => refreshCohort(P, cohortId, { worker, now });
  const dynamic = (key = 'pros', definition: CohortDefinition = pro) => cohorts.add(P, { key, kind: 'dynamic', definition }).id;
  const history = (cohortId: number) => cohorts.calculations.filter((c) => c.cohortId === cohortId);
  return { clock, cohorts, runs, leases, persons, staticMembers, membership, runQuery, notified, refresh, dynamic, history };
}

describe('refreshCohort (fakes)', () => {
  it('is busy while another worker holds the lease, and runs once the lease has expired', async () => {
    const s = setup();
    const id = s.dynamic();
    expect(await s.leases.acquire(P, id, 'api:refresh-now', 60_000)).not.toBeNull();
    expect(await s.refresh(id)).toEqual({ status: 'busy' });
    expect(s.history(id)).toEqual([]);
    s.clock.advance(60_001);
    expect(await s.refresh(id)).toMatchObject({ status: 'ok', version: 1 });
    expect(s.leases.holder(P, id)).toBeNull(); // released by the success bookkeeping
  });

  it('skips a missing cohort, and paused or archived ones (releasing their lease)', async () => {
    const s = setup();
    expect(await s.refresh(999)).toEqual({ status: 'skipped', reason: 'cohort not found' });
    for (const state of ['paused', 'archived'] as const) {
      const id = s.cohorts.add(P, { key: state, kind: 'dynamic', definition: pro, state }).id;
      expect(await s.refresh(id)).toEqual({ status: 'skipped', reason: `cohort is ${state}` });
      expect(s.leases.holder(P, id)).toBeNull();
      expect(s.history(id)).toEqual([]);
      expect(s.membership.live(P, id)).toBeNull();
    }
    expect(s.runQuery.calls).toEqual([]);
    expect(s.notified).toEqual([]);
  });

  it('materializes a static cohort: its seen ids as person ids, ascending, its unseen ids as d:<id>', async () => {
    const s = setup();
    const zoe = s.persons.seed(P, { distinctIds: ['zoe'] });
    s.persons.seed(P, { distinctIds: ['unlisted'] });
    const amy = s.persons.seed(P, { distinctIds: ['amy', 'amy-phone'] });
    const id = s.cohorts.add(P, { key: 'beta-list', kind: 'static' }).id;
    await s.staticMembers.add(P, id, ['amy', 'not-yet-seen', 'zoe', 'amy-phone']);

    const out = await s.refresh(id, 'w1', T0 - 1_000);
    expect(out).toMatchObject({ status: 'ok', version: 1, memberCount: 3, asOf: T0 - 1_000 });
    expect(zoe.id).toBeLessThan(amy.id);
    expect(s.membership.members(P, id)).toEqual([String(zoe.id), String(amy.id), 'd:not-yet-seen']);
    expect(await s.membership.isMember(P, [id, id], { personId: null, distinctIds: ['not-yet-seen'] })).toEqual([true, true]);
    expect(s.history(id)).toEqual([expect.objectContaining({ version: 1, worker: 'w1', memberCount: 3, errorCode: null, stats: expect.objectContaining({ rows: 3, unseen: 1 }) })]);
    expect(s.runQuery.calls).toEqual([]); // static cohorts never query
  });

  it('materializes a dynamic cohort from the query runner, compiled for the project, its references and `now`', async () => {
    const s = setup();
    const inner = s.cohorts.add(P, { key: 'inner', kind: 'static' }).id;
    const id = s.dynamic('outer', { type: 'AND', values: [pro, { type: 'behavioral', event: 'buy', window: { last: '1d' } }, { type: 'cohort', key: 'inner', operator: 'in' }] });
    s.runQuery.answerWith(() => [30, 4, 12]);
    expect(await s.refresh(id)).toMatchObject({ status: 'ok', version: 1, memberCount: 3, asOf: T0 });
    expect(s.membership.members(P, id)).toEqual(['4', '12', '30']);
    const { q } = s.runQuery.calls[0];
    expect(q.values).toEqual([P, '{"plan":"pro"}', '{"plan":["pro"]}', 'buy', new Date(T0 - 86_400_000).toISOString(), new Date(T0).toISOString(), inner]);
    expect(s.cohorts.row(P, id)).toMatchObject({ state: 'active', version: 1, pendingVersion: null, memberCount: 3, lastCalculatedAt: new Date(T0).toISOString(), errorsCalculating: 0, leaseOwner: null });
    expect(s.cohorts.definitionsVersion(P)).toBe(1); // API processes reload cohort states
    expect(s.notified).toEqual([P]);
  });

  it('switches readers to the new version and drops the version it replaced', async () => {
    const s = setup();
    const id = s.dynamic();
    s.runQuery.answerWith(() => [1]);
    await s.refresh(id);
    s.runQuery.answerWith(() => [2, 3]);
    expect(await s.refresh(id)).toMatchObject({ status: 'ok', version: 2, memberCount: 2 });
    expect(s.membership.live(P, id)).toBe(2);
    expect(s.membership.versions(P, id)).toEqual([2]);
    expect(await s.membership.isMember(P, [id], { personId: 1, distinctIds: [] })).toEqual([false]);
    expect(s.history(id).map((c) => [c.version, c.memberCount])).toEqual([[1, 1], [2, 2]]);
  });

  it('goes past a version a dead run left pending or Redis has live, and drops both', async () => {
    const s = setup();
    const id = s.dynamic();
    await s.refresh(id); // version 1, empty
    // a run that died after writing part of version 2
    const dead = await s.runs.startRun(P, id, 'dead-worker');
    await s.membership.writeVersion(P, id, dead.version, ['999']);
    expect(await s.refresh(id)).toMatchObject({ status: 'ok', version: 3 });
    expect(s.membership.versions(P, id)).toEqual([]);
    // a run that switched Redis to 7 but died before its bookkeeping
    await s.membership.writeVersion(P, id, 7, ['1']);
    await s.membership.switchTo(P, id, 7);
    s.runQuery.answerWith(() => [5]);
    expect(await s.refresh(id)).toMatchObject({ status: 'ok', version: 8 });
    expect(s.membership.versions(P, id)).toEqual([8]);
  });

  it('keeps an empty cohort readable: a live version without a set', async () => {
    const s = setup();
    const id = s.dynamic();
    expect(await s.refresh(id)).toMatchObject({ status: 'ok', version: 1, memberCount: 0 });
    expect(s.membership.live(P, id)).toBe(1);
    expect(s.membership.versions(P, id)).toEqual([]);
    expect(await s.membership.isMember(P, [id], { personId: 1, distinctIds: ['x'] })).toEqual([false]);
  });

  it('keeps the previous version live when the query fails, records the error, and the next run reuses the number', async () => {
    const s = setup();
    const id = s.dynamic();
    s.runQuery.answerWith(() => [1]);
    await s.refresh(id);
    s.runQuery.answerWith(() => Promise.reject(Object.assign(new Error('invalid regular expression: parentheses () not balanced'), { code: '2201B' })));
    expect(await s.refresh(id)).toEqual({ status: 'failed', code: 'invalid_regex', message: 'invalid regular expression: parentheses () not balanced' });
    expect(s.membership.live(P, id)).toBe(1);
    expect(s.membership.versions(P, id)).toEqual([1]);
    expect(s.cohorts.row(P, id)).toMatchObject({ state: 'active', version: 1, pendingVersion: null, memberCount: 1, errorsCalculating: 1, lastErrorCode: 'invalid_regex', leaseOwner: null });
    expect(s.history(id).at(-1)).toMatchObject({ version: 2, errorCode: 'invalid_regex', memberCount: null, finishedAt: T0 });
    expect(s.notified).toEqual([P]); // only the success announced a change

    s.runQuery.answerWith(() => [2]);
    expect(await s.refresh(id)).toMatchObject({ status: 'ok', version: 2 });
    expect(s.cohorts.row(P, id)).toMatchObject({ errorsCalculating: 0, lastErrorCode: 'invalid_regex' });
  });

  it('drops the partial set when writing the new version breaks half way, keeping the previous one live', async () => {
    const s = setup();
    const id = s.dynamic();
    s.runQuery.answerWith(() => [1]);
    await s.refresh(id);
    s.membership.fail('writeVersion', new Error('OOM command not allowed when used memory > maxmemory'), { afterMembers: 2 });
    s.runQuery.answerWith(() => [1, 2, 3, 4]);
    expect(await s.refresh(id)).toMatchObject({ status: 'failed', code: 'memory_limit', message: expect.stringMatching(/^Redis: OOM/) });
    expect(s.membership.versions(P, id)).toEqual([1]);
    expect(s.membership.members(P, id)).toEqual(['1']);
  });

  it('fails as interrupted and drops its own set when a newer version is already live (the switch is refused)', async () => {
    const s = setup();
    const id = s.dynamic();
    s.runQuery.answerWith(async () => {
      // meanwhile, a worker that took over the expired lease switched to a newer version
      await s.membership.writeVersion(P, id, 50, ['9']);
      await s.membership.switchTo(P, id, 50);
      return [1];
    });
    const out = await s.refresh(id);
    expect(out).toMatchObject({ status: 'failed', code: 'interrupted', message: expect.stringMatching(/newer version than 1 is already live/) });
    expect(s.membership.live(P, id)).toBe(50);
    expect(s.membership.versions(P, id)).toEqual([50]);
    expect(s.cohorts.row(P, id)).toMatchObject({ version: 0, pendingVersion: null, errorsCalculating: 1, lastErrorCode: 'interrupted' });
  });

  it('fails with capacity when the members exceed the limit, writing nothing', async () => {
    const s = setup({ maxMembers: 3 });
    const id = s.dynamic();
    s.runQuery.answerWith(() => [1, 2, 3, 4]);
    expect(await s.refresh(id)).toEqual({ status: 'failed', code: 'capacity', message: 'more than 3 members (the limit)' });
    expect(s.membership.live(P, id)).toBeNull();
    expect(s.membership.versions(P, id)).toEqual([]);
    expect(s.history(id)[0]).toMatchObject({ errorCode: 'capacity', stats: expect.objectContaining({ rows: 4 }) });
    s.runQuery.answerWith(() => [1, 2, 3]);
    expect(await s.refresh(id)).toMatchObject({ status: 'ok', memberCount: 3 });
  });

  it('fails a dynamic cohort without a definition as a validation error', async () => {
    const s = setup();
    const id = s.cohorts.add(P, { key: 'empty', kind: 'dynamic', definition: null }).id;
    expect(await s.refresh(id)).toEqual({ status: 'failed', code: 'validation_error', message: 'dynamic cohort has no definition' });
  });

  it('throws when only the bookkeeping fails after the switch: the new version stays live', async () => {
    const s = setup({ runs: (real) => ({ ...real, succeed: () => Promise.reject(new Error('connection terminated')) }) });
    const id = s.dynamic();
    s.runQuery.answerWith(() => [1]);
    await expect(s.refresh(id)).rejects.toThrow('connection terminated');
    expect(s.membership.live(P, id)).toBe(1);
    expect(s.membership.members(P, id)).toEqual(['1']);
  });
});
