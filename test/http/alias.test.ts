import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personDocStored } from '../helpers/store-probe.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: Awaited<ReturnType<TestContext['newProject']>>;
beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('alias');
});
afterAll(async () => {
  await t.cleanup();
});

const T0 = 1_700_000_000_000;
const alias = (distinct_id: unknown, aliasId: unknown, auth = p.bearer) => t.http.post('/v1/alias').set(auth).send({ distinct_id, alias: aliasId });
const track = (distinctId: string, n: number, start = T0, tag = distinctId) =>
  t.http.post('/v1/events').set(p.bearer).send({ events: Array.from({ length: n }, (_, i) => ({ event: 'view', distinct_id: distinctId, time: start + i, $insert_id: `${tag}-${start}-${i}` })) });
const resolve = (d: string, anon?: string) => t.identity.resolve(p.id, d, anon);
const personCount = async () => Number((await t.pool.query('SELECT count(*) AS n FROM persons WHERE project_id = $1', [p.id])).rows[0].n);

describe('POST /v1/alias', () => {
  it('anonymous then identified: the anonymous person gains the id and keeps its bucketing key', async () => {
    await track('anon-1', 3);
    const before = await resolve('anon-1');
    expect(before.bucketingKey).toBe('anon-1');
    const res = await alias('user-1', 'anon-1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ person_id: before.personId, distinct_ids: ['anon-1', 'user-1'], bucketing_key: 'anon-1', merged: false, consistency_token: expect.stringMatching(/^ct1\./) });
    for (const id of ['anon-1', 'user-1']) expect(await resolve(id)).toMatchObject({ personId: before.personId, bucketingKey: 'anon-1', identified: true });
    await track('user-1', 2, T0 + 100);
    const profile = await t.personRead.profile(p.id, 'user-1');
    expect(profile.person).toMatchObject({ eventCount: 5, identified: true });
    // repeated alias: idempotent
    expect((await alias('user-1', 'anon-1')).body).toEqual({ ...res.body, consistency_token: expect.stringMatching(/^ct1\./) });
  });

  it('neither id known: one identified person holding both, keyed by the anonymous id', async () => {
    const res = await alias('user-2', 'anon-2');
    expect(res.body).toMatchObject({ distinct_ids: ['anon-2', 'user-2'], bucketing_key: 'anon-2', merged: false, consistency_token: expect.stringMatching(/^ct1\./) });
    await track('user-2', 1);
    await track('anon-2', 1);
    expect((await resolve('user-2')).personId).toBe(res.body.person_id);
    expect((await t.personRead.profile(p.id, 'anon-2')).person.eventCount).toBe(2);
  });

  it('only the identified id known: its person gains the alias and keeps its key', async () => {
    await track('user-3', 1);
    const res = await alias('user-3', 'anon-3');
    expect(res.body).toMatchObject({ distinct_ids: ['anon-3', 'user-3'], bucketing_key: 'user-3', merged: false, consistency_token: expect.stringMatching(/^ct1\./) });
    expect((await resolve('anon-3')).bucketingKey).toBe('user-3');
  });

  it('merges the anonymous person into the identified one', async () => {
    await track('anon-4', 2, T0 - 5_000);
    await track('user-4', 3, T0 + 5_000);
    await t.http.post('/v1/engage').set(p.bearer).send({ updates: [
      { distinct_id: 'anon-4', $set_once: { first_touch: 'anon-ad', initial: 'a' }, $set: { shared: 'anon', only_anon: 1 }, $time: T0 - 5_000 },
      { distinct_id: 'user-4', $set_once: { first_touch: 'user-ad' }, $set: { shared: 'user', initial: 'set-by-user' }, $time: T0 + 5_000 },
    ] });
    const anon = await resolve('anon-4');
    const user = await resolve('user-4');
    const res = await alias('user-4', 'anon-4');
    expect(res.body).toEqual({ person_id: user.personId, distinct_ids: ['anon-4', 'user-4'], bucketing_key: 'user-4', merged: true, consistency_token: expect.stringMatching(/^ct1\./) });
    const merged = await t.personRead.profile(p.id, 'anon-4');
    expect(merged.person).toMatchObject({ id: user.personId, eventCount: 5, firstSeen: T0 - 5_000, lastSeen: T0 + 5_002, identified: true });
    // identified values win; a key both got through $set_once keeps the earliest write
    expect(merged.person.properties).toEqual({ first_touch: 'anon-ad', initial: 'set-by-user', shared: 'user', only_anon: 1 });
    expect(merged.stats.eventsByName).toEqual([{ event: 'view', count: 5 }]);
    expect(Number((await t.pool.query('SELECT count(*) AS n FROM persons WHERE project_id = $1 AND id = $2', [p.id, anon.personId])).rows[0].n)).toBe(0);
    for (const id of ['anon-4', 'user-4']) expect(await resolve(id)).toMatchObject({ personId: user.personId, bucketingKey: 'user-4', properties: merged.person.properties });
    expect(await personDocStored(t, p.id, anon.personId!)).toBe(false);
    // idempotent afterwards
    expect((await alias('user-4', 'anon-4')).body).toMatchObject({ person_id: user.personId, merged: false, consistency_token: expect.stringMatching(/^ct1\./) });
  });

  it('refuses placeholders, equal ids and identified aliases (account takeover)', async () => {
    const cases: Array<[unknown, unknown, number, RegExp]> = [
      ['user-x', 'anonymous', 400, /^body\.alias: "anonymous" is a placeholder/],
      ['null', 'anon-x', 400, /^body\.distinct_id: "null" is a placeholder/],
      ['', 'anon-x', 400, /^body\.distinct_id: must not be empty/],
      [42, 'anon-x', 400, /^body\.distinct_id: must be a string/],
      ['same', 'same', 400, /^body\.alias: must differ from distinct_id/],
      ['attacker', 'user-1', 409, /already identified/],
      ['user-2', 'user-1', 409, /already identified/],
    ];
    for (const [d, a, status, message] of cases) {
      const res = await alias(d, a);
      expect(res.status, `${d} <- ${a}`).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await t.http.post('/v1/alias').set(p.bearer).send({ distinct_id: 'a', alias: 'b', extra: 1 })).status).toBe(400);
    expect((await alias('x', 'y', { Authorization: 'Bearer nope' })).status).toBe(401);
    // the refused attacker id got no person
    await expect(t.personRead.profile(p.id, 'attacker')).rejects.toThrow(/not found/);
  });

  it('resolves anon_id when distinct_id is not known yet (PRODUCT.md 5)', async () => {
    await track('anon-5', 1);
    const anon = await resolve('anon-5');
    expect(await resolve('user-5', 'anon-5')).toMatchObject({ personId: anon.personId, bucketingKey: 'anon-5', usedAnon: true });
    expect(await resolve('user-5')).toMatchObject({ personId: null, bucketingKey: 'user-5', usedAnon: false });
    await track('user-6', 1);
    const other = await resolve('user-6');
    expect(await resolve('user-6', 'anon-5')).toMatchObject({ personId: other.personId, usedAnon: false });
  });

  it('keeps one person per pair when alias and events race', async () => {
    const before = await personCount();
    await Promise.all(Array.from({ length: 8 }, (_, i) => Promise.all([
      track(`race-anon-${i}`, 5),
      alias(`race-user-${i}`, `race-anon-${i}`),
      track(`race-user-${i}`, 5),
    ])));
    expect(await personCount()).toBe(before + 8);
    for (let i = 0; i < 8; i++) {
      const a = await t.personRead.profile(p.id, `race-anon-${i}`);
      expect(a.distinctIds).toEqual([`race-anon-${i}`, `race-user-${i}`]);
      expect(a.person.eventCount).toBe(10);
      expect((await resolve(`race-user-${i}`)).personId).toBe(a.person.id);
      expect((await resolve(`race-anon-${i}`)).personId).toBe(a.person.id);
    }
  });
});
