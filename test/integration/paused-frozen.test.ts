/**
 * Paused means frozen (PRODUCT.md 6.2): a paused cohort takes no event-driven, alias or
 * static-follow update, and event-driven changes of an active cohort keep `member_count`
 * exact (issue 12, item 3).
 */
import { readVersionMembers } from '../../src/adapters/redis/membership-read.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };
const admin = (path: string) => `/v1/projects/${p.id}${path}`;
const ok = (res: { status: number; body: unknown }) => expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);

beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('frozen', 'enterprise');
  ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'pro', name: 'Pro', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'pro' } }));
  ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'pins', name: 'Pins', kind: 'static' }));
  ok(await t.http.post('/v1/engage').set(p.bearer).send({ updates: [{ distinct_id: 'a', $set: { plan: 'pro' } }, { distinct_id: 'b', $set: { plan: 'pro' } }] }));
  ok(await t.http.post(admin('/cohorts/pins/members')).set(t.admin).send({ distinct_ids: ['pinned-anon', 'pinned-later'] }));
  ok(await t.http.post(admin('/cohorts/pro/refresh')).set(t.admin));
  await t.eventDrivenRecompute.flush();
});
afterAll(async () => {
  await t.cleanup();
});

const cohort = async (key: string) => (await t.http.get(admin(`/cohorts/${key}`)).set(t.admin)).body;
const membersOf = async (key: string) => {
  const c = await t.cohorts.service.get(p.id, key);
  const v = await t.redis.get(t.keys.cohortCurrent(p.id, c.id));
  return v === null ? [] : (await readVersionMembers(t.redis, t.keys, p.id, c.id, Number(v))).sort();
};
const personId = async (distinctId: string) => (await t.identity.resolve(p.id, distinctId)).personId;

describe('paused cohorts are frozen', () => {
  it('an active cohort follows $set at once and member_count stays exact', async () => {
    expect((await cohort('pro')).member_count).toBe(2);
    ok(await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'c', $set: { plan: 'pro' } }));
    await t.eventDrivenRecompute.flush();
    expect(await membersOf('pro')).toContain(String(await personId('c')));
    expect((await cohort('pro')).member_count).toBe(3);
    ok(await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'a', $set: { plan: 'free' } }));
    await t.eventDrivenRecompute.flush();
    expect(await membersOf('pro')).toHaveLength(2);
    expect((await cohort('pro')).member_count).toBe(2);
  });

  it('a paused dynamic cohort takes no event-driven change', async () => {
    ok(await t.http.post(admin('/cohorts/pro/pause')).set(t.admin));
    const before = await membersOf('pro');
    ok(await t.http.post('/v1/engage').set(p.bearer).send({ updates: [{ distinct_id: 'd', $set: { plan: 'pro' } }, { distinct_id: 'b', $set: { plan: 'free' } }] }));
    ok(await t.http.post('/v1/events').set(p.bearer).send({ event: 'visit', distinct_id: 'e', properties: {} }));
    await t.eventDrivenRecompute.flush();
    expect(await membersOf('pro')).toEqual(before);
    expect((await cohort('pro')).member_count).toBe(before.length);
    // refresh-now leaves it alone too
    const refreshed = await t.http.post(admin('/cohorts/pro/refresh')).set(t.admin);
    expect(JSON.stringify(refreshed.body)).toMatch(/paused/);
    expect(await membersOf('pro')).toEqual(before);
  });

  it('a paused static cohort takes no static-follow (first sight, alias) update', async () => {
    ok(await t.http.post(admin('/cohorts/pins/pause')).set(t.admin));
    const before = await membersOf('pins');
    expect(before).toEqual(['d:pinned-anon', 'd:pinned-later']);
    ok(await t.http.post('/v1/events').set(p.bearer).send({ event: 'visit', distinct_id: 'pinned-anon', properties: {} }));
    ok(await t.http.post('/v1/alias').set(p.bearer).send({ distinct_id: 'pinned-later', alias: 'someone-else' }));
    expect(await membersOf('pins')).toEqual(before);
    expect((await cohort('pins')).member_count).toBe(2);
  });

  it('an active static cohort replaces the d:<id> entry by the person when the id is first seen', async () => {
    ok(await t.http.post(admin('/cohorts/pins/resume')).set(t.admin));
    ok(await t.http.post(admin('/cohorts/pins/refresh')).set(t.admin));
    ok(await t.http.post('/v1/events').set(p.bearer).send({ event: 'visit', distinct_id: 'pinned-new', properties: {} }));
    ok(await t.http.post(admin('/cohorts/pins/members')).set(t.admin).send({ distinct_ids: ['fresh-id'] }));
    ok(await t.http.post('/v1/events').set(p.bearer).send({ event: 'visit', distinct_id: 'fresh-id', properties: {} }));
    const members = await membersOf('pins');
    expect(members).toContain(String(await personId('fresh-id')));
    expect(members).not.toContain('d:fresh-id');
    expect((await cohort('pins')).member_count).toBe(members.length);
  });
});
