import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: Awaited<ReturnType<TestContext['newProject']>>;
beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('engage');
});
afterAll(async () => {
  await t.cleanup();
});

const engage = (body: unknown, auth = p.bearer) => t.http.post('/v1/engage').set(auth).send(body as object);
const props = async (distinctId: string, projectId = p.id) => (await t.personRead.profile(projectId, distinctId)).person.properties;

describe('POST /v1/engage', () => {
  it('applies every operation', async () => {
    const res = await engage({ updates: [
      { distinct_id: 'ops', $set: { name: 'Ann', plan: 'free', tags: ['a'] } },
      { distinct_id: 'ops', $set_once: { name: 'Bob', source: 'ad' } },
      { distinct_id: 'ops', $add: { visits: 2, score: -1.5 } },
      { distinct_id: 'ops', $add: { visits: 3 } },
      { distinct_id: 'ops', $append: { tags: 'b', log: { at: 1 } } },
      { distinct_id: 'ops', $union: { tags: ['a', 'c', 'c'], seen: [1, 2] } },
      { distinct_id: 'ops', $remove: { tags: 'a' } },
      { distinct_id: 'ops', $unset: ['plan', 'missing'] },
    ] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ applied: 8, rejected: 0, errors: [], consistency_token: expect.stringMatching(/^ct1\./) });
    expect(await props('ops')).toEqual({ name: 'Ann', source: 'ad', visits: 5, score: -1.5, tags: ['b', 'c'], log: [{ at: 1 }], seen: [1, 2] });
    // written through to the Redis identity map
    expect((await t.identity.resolve(p.id, 'ops')).properties).toMatchObject({ name: 'Ann', visits: 5 });
    // one update without the batch wrapper, and a top-level array
    expect((await engage({ distinct_id: 'ops', $set: { single: true } })).body).toMatchObject({ applied: 1 });
    expect((await engage([{ distinct_id: 'ops', $unset: ['single'] }, { distinct_id: 'ops2', $set: { x: 1 } }])).body).toMatchObject({ applied: 2 });
    expect(await props('ops2')).toEqual({ x: 1 });
  });

  it('applies updates to one person in arrival order', async () => {
    await engage({ updates: [
      { distinct_id: 'order', $set: { a: 1 } },
      { distinct_id: 'other', $set: { a: 'x' } },
      { distinct_id: 'order', $set: { a: 2 } },
      { distinct_id: 'order', $unset: ['a'] },
      { distinct_id: 'order', $set_once: { a: 3 } },
      { distinct_id: 'order', $set_once: { a: 4 } },
    ] });
    expect(await props('order')).toEqual({ a: 3 });
    // concurrent requests on one person serialize on its row: no lost increment
    await Promise.all(Array.from({ length: 20 }, () => engage({ distinct_id: 'counter', $add: { n: 1 } })));
    expect(await props('counter')).toEqual({ n: 20 });
  });

  // Issue 14: in a batch, an invalid update is reported by index and the valid ones apply
  // (as events do); a single invalid update is still a 400 naming the field.
  it('applies the valid updates of a batch and reports the invalid ones by index and field', async () => {
    const res = await engage({ updates: [{ distinct_id: 'mixed', $set: { a: 1 } }, { distinct_id: 'mixed', $add: { ok: 1 } }, { distinct_id: 'mixed', $add: { visits: 'ten' } }, 'x', { distinct_id: 'guest', $set: { a: 1 } }] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ applied: 2, rejected: 3 });
    expect(res.body.errors).toEqual([
      { index: 2, field: 'body.updates[2].$add.visits', message: expect.stringMatching(/must be a number/) },
      { index: 3, field: 'body.updates[3]', message: expect.any(String) },
      { index: 4, field: 'body.updates[4].distinct_id', message: expect.stringMatching(/placeholder/) },
    ]);
    expect(await props('mixed')).toEqual({ a: 1, ok: 1 });
  });

  it('refuses a bad single update with a 400 naming the field, and nothing is applied', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ distinct_id: 'v', $add: { visits: '1' } }, /^body\.\$add\.visits: must be a number/],
      [{ distinct_id: 'guest', $set: { a: 1 } }, /^body\.distinct_id: "guest" is a placeholder/],
      [{ $set: { a: 1 } }, /^body\.distinct_id: is required/],
      [{ distinct_id: 'v' }, /^body: must contain an operation/],
      [{ distinct_id: 'v', $set: [1] }, /^body\.\$set: must be a JSON object/],
      [{ distinct_id: 'v', $unset: 'a' }, /^body\.\$unset: must be a list/],
      [{ distinct_id: 'v', $union: { a: 1 } }, /^body\.\$union\.a: must be a list/],
      [{ distinct_id: 'v', $delete: true, $set: { a: 1 } }, /^body\.\$delete: cannot be combined/],
      [{ distinct_id: 'v', $sett: { a: 1 } }, /\$sett/],
      [{ updates: [] }, /^body\.updates: must contain at least 1 update/],
    ];
    for (const [body, message] of cases) {
      const res = await engage(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await t.http.post('/v1/engage').set(p.bearer).set('Content-Type', 'application/json').send('{"distinct_id":')).status).toBe(400);
    await expect(t.personRead.profile(p.id, 'v')).rejects.toThrow(/not found/);
  });

  it('rejects by index an update that does not fit (a list op on a non-list, $add past a double, a __proto__ key), or passes 640 KB, and applies the rest', async () => {
    const big = 'x'.repeat(330 * 1024);
    const res = await engage({ updates: [
      { distinct_id: 'sizes', $set: { a: big, n: 'text' } },
      { distinct_id: 'sizes', $set: { b: big } },
      { distinct_id: 'sizes', $add: { n: 1 } },
      { distinct_id: 'sizes', $append: { a: 1 } },
      { distinct_id: 'sizes', $set: { small: true } },
      { distinct_id: 'sizes', $set: { huge: 1e308 } },
      { distinct_id: 'sizes', $add: { huge: 1e308 } },
      { distinct_id: 'sizes', $set: { ['__proto__']: { polluted: true } } },
    ] });
    expect(res.status).toBe(200);
    expect(res.body.applied).toBe(3);
    expect(res.body.errors).toEqual([
      { index: 1, field: 'body.updates[1]', message: expect.stringMatching(/655360 bytes/) },
      { index: 2, field: 'body.updates[2].$add.n', message: expect.stringMatching(/not a number/) },
      { index: 3, field: 'body.updates[3].$append.a', message: expect.stringMatching(/not a list/) },
      { index: 6, field: 'body.updates[6].$add.huge', message: expect.stringMatching(/largest number/) },
      { index: 7, field: expect.stringMatching(/^body\.updates\[7\]\.\$set\.__proto__$/), message: expect.stringMatching(/__proto__/) },
    ]);
    expect(Object.keys(await props('sizes')).sort()).toEqual(['a', 'huge', 'n', 'small']);
    expect((await props('sizes')).huge).toBe(1e308);
  });

  it('$delete erases the person, its distinct ids and events, and audits it', async () => {
    await t.http.post('/v1/events').set(p.bearer).send({ events: [
      { event: 'view', distinct_id: 'gone-anon', $insert_id: 'g-1' },
      { event: 'view', distinct_id: 'gone', $insert_id: 'g-2' },
      { event: 'view', distinct_id: 'stays', $insert_id: 'g-3' },
    ] });
    expect((await t.http.post('/v1/alias').set(p.bearer).send({ distinct_id: 'gone', alias: 'gone-anon' })).body.merged).toBe(true);
    await engage({ distinct_id: 'gone', $set: { email: 'gone@example.com' } });
    const before = await t.identity.resolve(p.id, 'gone-anon');
    expect(before.personId).not.toBeNull();

    const res = await engage({ distinct_id: 'gone', $delete: '' });
    expect(res.body).toEqual({ applied: 1, rejected: 0, errors: [], consistency_token: expect.stringMatching(/^ct1\./) });
    expect((await t.http.get(`/v1/projects/${p.id}/persons/gone`).set(t.admin)).status).toBe(404);
    expect((await t.http.get(`/v1/projects/${p.id}/persons/gone-anon`).set(t.admin)).status).toBe(404);
    const left = await t.pool.query("SELECT distinct_id FROM events WHERE project_id = $1 AND insert_id LIKE 'g-%'", [p.id]);
    expect(left.rows).toEqual([{ distinct_id: 'stays' }]);
    expect(await t.redis.exists(t.keys.distinctId(p.id, 'gone'), t.keys.distinctId(p.id, 'gone-anon'), t.keys.person(p.id, before.personId!))).toBe(0);
    expect(await t.identity.resolve(p.id, 'gone')).toMatchObject({ personId: null, bucketingKey: 'gone', properties: {} });
    const audit = await t.stores.audit.list(p.id, { limit: 5, entityKind: 'person' });
    expect(audit[0]).toMatchObject({ actor: `project_token:${p.id}`, action: 'delete', entityKey: String(before.personId), before: { distinct_id_sha256: createHash('sha256').update('gone').digest('hex'), distinct_id_count: 2, events_deleted: 2 } });
    expect(JSON.stringify(audit[0])).not.toContain('"gone"'); // issue 12: erasure keeps no id, only its hash
    expect(JSON.stringify(audit[0])).not.toContain('gone@example.com');

    // deleting an unknown id is a no-op; a $set after a $delete in one batch starts a new person
    expect((await engage({ distinct_id: 'never-seen', $delete: true })).body).toMatchObject({ applied: 1 });
    await engage({ updates: [{ distinct_id: 'again', $set: { v: 1 } }, { distinct_id: 'again', $delete: true }, { distinct_id: 'again', $set: { v: 2 } }] });
    expect(await props('again')).toEqual({ v: 2 });
  });

  it('keeps tokens of project A out of project B', async () => {
    const a = await t.newProject('A');
    const b = await t.newProject('B');
    await engage({ distinct_id: 'same', $set: { owner: 'a' } }, a.bearer);
    await engage({ distinct_id: 'same', $set: { owner: 'b' } }, b.bearer);
    await engage({ distinct_id: 'same', $delete: true }, b.bearer);
    expect(await props('same', a.id)).toEqual({ owner: 'a' });
    expect((await engage({ distinct_id: 'same', $set: { x: 1 } }, { Authorization: 'Bearer nope' })).status).toBe(401);
  });
});
