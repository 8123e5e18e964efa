import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serversOf } from '../../src/adapters/redis/client.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { createRedis } from '../../src/adapters/redis/client.js';
import { createIdentityCache } from '../../src/adapters/redis/identity-cache.js';
import { createIdentityService } from '../../src/services/identity.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  await t.cleanup();
});

const T0 = 1_700_000_000_000;
const post = (path: string, token: string, body: object) => t.http.post(path).set({ Authorization: `Bearer ${token}` }).send(body);

/** Deletes every Redis key of this test file (never FLUSHALL: other files share the server). */
async function dropOwnKeys(): Promise<number> {
  let n = 0;
  // Every server of a cluster holds some of the keys (one server otherwise).
  for (const server of serversOf(t.redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${t.keys.prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) n += await server.del(key);
    } while (cursor !== '0');
  }
  return n;
}

/** Counts the commands the hot-path client sends while `fn` runs. */
async function commandsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const original = t.redis.sendCommand.bind(t.redis);
  t.redis.sendCommand = ((cmd: { name: string }) => {
    seen.push(cmd.name);
    return original(cmd as never);
  }) as typeof t.redis.sendCommand;
  try {
    await fn();
  } finally {
    t.redis.sendCommand = original;
  }
  return seen;
}

describe('identity resolution', () => {
  it('writes persons through to Redis and resolves in one round trip', async () => {
    const p = await t.newProject('identity');
    await post('/v1/events', p.token, { events: [
      { event: 'view', distinct_id: 'ann', time: T0, $insert_id: 'i-1' },
      { event: 'survey shown', distinct_id: 'ann', time: T0 + 10, $insert_id: 'i-2', properties: { $survey_key: 'nps' } },
      { event: 'survey sent', distinct_id: 'ann', time: T0 + 20, $insert_id: 'i-3', properties: { $survey_key: 'nps', score: 9 } },
      { event: 'survey sent', distinct_id: 'bob', time: T0 + 30, $insert_id: 'i-4', properties: { $survey_key: 'nps' } },
    ] });
    await post('/v1/engage', p.token, { distinct_id: 'ann', $set: { plan: 'pro' } });
    const ann = await t.identity.resolve(p.id, 'ann');
    expect(ann).toMatchObject({ bucketingKey: 'ann', properties: { plan: 'pro' }, identified: false, usedAnon: false, surveyHistory: { answered: ['nps'], lastShownAt: T0 + 10 } });
    const doc = JSON.parse((await t.redis.get(t.keys.person(p.id, ann.personId!)))!);
    expect(doc).toEqual({ u: expect.any(Number), id: ann.personId, b: 'ann', p: { plan: 'pro' }, i: false, s: { a: ['nps'], l: T0 + 10 } });
    expect(await t.redis.get(t.keys.distinctId(p.id, 'ann'))).toBe(String(ann.personId));
    expect(await t.redis.get(t.keys.surveyResponses(p.id, 'nps'))).toBe('2');

    await t.identity.resolve(p.id, 'ann', 'bob'); // loads the script once
    const sent = await commandsDuring(() => t.identity.resolve(p.id, 'ann', 'bob'));
    expect(sent).toEqual(['evalsha']);
    expect(await t.identity.resolve(p.id, 'nobody')).toMatchObject({ personId: null, bucketingKey: 'nobody', properties: {} });
  });

  it('answers from PostgreSQL after the Redis keys are gone, and rebuilds the map', async () => {
    const p = await t.newProject('flush');
    await post('/v1/events', p.token, { events: [
      { event: 'view', distinct_id: 'anon-f', time: T0, $insert_id: 'f-1' },
      { event: 'survey sent', distinct_id: 'anon-f', time: T0 + 1, $insert_id: 'f-2', properties: { $survey_key: 'onboarding' } },
      { event: 'view', distinct_id: 'other-f', time: T0, $insert_id: 'f-3' },
    ] });
    await post('/v1/alias', p.token, { distinct_id: 'user-f', alias: 'anon-f' });
    await post('/v1/engage', p.token, { distinct_id: 'user-f', $set: { email: 'f@example.com' } });
    const before = await t.identity.resolve(p.id, 'user-f');
    const docBefore = JSON.parse((await t.redis.get(t.keys.person(p.id, before.personId!)))!);

    expect(await dropOwnKeys()).toBeGreaterThan(0);
    // the handshake finds the person through the PostgreSQL fallback (composition wiring)
    const decided = await t.decide.decide({ projectId: p.id, distinctId: 'user-f' });
    expect(decided).toMatchObject({ personId: before.personId, bucketingKey: 'anon-f', degraded: false });
    await t.identity.idle();
    expect(await dropOwnKeys()).toBeGreaterThan(0);
    const during = await t.identity.resolve(p.id, 'user-f');
    expect(during).toMatchObject({ personId: before.personId, bucketingKey: 'anon-f', properties: { email: 'f@example.com' }, identified: true, surveyHistory: { answered: ['onboarding'], lastShownAt: null } });
    expect(during.distinctIds).toEqual(['anon-f', 'user-f']);
    expect(await t.identity.resolve(p.id, 'new-f', 'anon-f')).toMatchObject({ personId: before.personId, usedAnon: true });

    await t.identity.idle();
    expect(await t.redis.get(t.keys.identityReady(p.id))).toBe('1');
    expect(JSON.parse((await t.redis.get(t.keys.person(p.id, before.personId!)))!)).toEqual(docBefore);
    expect(await t.redis.get(t.keys.distinctId(p.id, 'anon-f'))).toBe(String(before.personId));
    expect(await t.redis.get(t.keys.surveyResponses(p.id, 'onboarding'))).toBe('1');
    const after = await commandsDuring(() => t.identity.resolve(p.id, 'other-f'));
    expect(after).toEqual(['evalsha']);
  });

  it('marks a brand-new project ready at once, so unknown ids do not reach PostgreSQL', async () => {
    const p = await t.newProject('empty');
    expect(await t.identity.resolve(p.id, 'first-visitor')).toMatchObject({ personId: null, bucketingKey: 'first-visitor' });
    await t.identity.idle();
    expect(await t.redis.get(t.keys.identityReady(p.id))).toBe('1');
    let queries = 0;
    const query = t.pool.query.bind(t.pool);
    t.pool.query = ((...args: Parameters<typeof query>) => {
      // Identity queries only: the snapshots' background version poll shares the pool.
      if (/person/.test(String((args[0] as { text?: string })?.text ?? args[0]))) queries++;
      return query(...args);
    }) as typeof t.pool.query;
    try {
      const sent = await commandsDuring(() => t.identity.resolve(p.id, 'second-visitor'));
      expect(sent).toEqual(['evalsha']);
    } finally {
      t.pool.query = query;
    }
    expect(queries).toBe(0);
  });

  it('never lets an older person document replace a newer one', async () => {
    const p = await t.newProject('versions');
    await post('/v1/engage', p.token, { distinct_id: 'v', $set: { n: 1 } });
    await post('/v1/engage', p.token, { distinct_id: 'v', $set: { n: 2 } });
    const { personId } = await t.identity.resolve(p.id, 'v');
    const current = JSON.parse((await t.redis.get(t.keys.person(p.id, personId!)))!);
    await t.identity.sync(p.id, { docs: [{ id: personId!, bucketingKey: 'v', propertiesJson: '{"n":1}', identified: false, version: current.u - 1, surveyHistory: { answered: [], lastShownAt: null } }] });
    expect((await t.identity.resolve(p.id, 'v')).properties).toEqual({ n: 2 });
  });

  it('tells the feed listeners what changed, after each commit', async () => {
    const p = await t.newProject('listeners');
    const calls: Array<[string, unknown]> = [];
    t.feedListeners.push({
      identitiesChanged: async (projectId, changes) => void (projectId === p.id && calls.push(['identities', changes])),
      personsChanged: async (projectId, ids) => void (projectId === p.id && calls.push(['changed', ids])),
      personsRemoved: async (projectId, ids) => void (projectId === p.id && calls.push(['removed', ids])),
    });
    await post('/v1/events', p.token, { events: [{ event: 'view', distinct_id: 'l-anon' }, { event: 'view', distinct_id: 'l-user' }] });
    const anon = (await t.identity.resolve(p.id, 'l-anon')).personId!;
    const user = (await t.identity.resolve(p.id, 'l-user')).personId!;
    expect(calls.splice(0)).toEqual([
      ['identities', expect.arrayContaining([{ personId: anon, distinctIds: ['l-anon'] }, { personId: user, distinctIds: ['l-user'] }])],
      ['changed', expect.arrayContaining([anon, user])],
    ]);
    await post('/v1/engage', p.token, { distinct_id: 'l-user', $set: { a: 1 } });
    expect(calls.splice(0)).toEqual([['changed', [user]]]);
    await post('/v1/alias', p.token, { distinct_id: 'l-user', alias: 'l-anon' });
    expect(calls.splice(0)).toEqual([['identities', [{ personId: user, distinctIds: ['l-anon', 'l-user'] }]], ['changed', [user]], ['removed', [anon]]]);
    await post('/v1/engage', p.token, { distinct_id: 'l-anon', $delete: true });
    expect(calls.splice(0)).toEqual([['removed', [user]]]);
  });

  it('lets later features add fields to the person read', async () => {
    const p = await t.newProject('sections');
    await post('/v1/engage', p.token, { distinct_id: 's', $set: { a: 1 } });
    t.personSections.push(async ({ profile }) => ({ cohorts: [{ person: profile.person.id }] }));
    const res = await t.http.get(`/v1/projects/${p.id}/persons/s`).set(t.admin);
    expect(res.body).toMatchObject({ person: { properties: { a: 1 }, event_count: 0, first_seen: null }, distinct_ids: ['s'], stats: { event_count: 0, events_by_name: {} }, cohorts: [{ person: res.body.person.id }] });
    t.personSections.pop();
  });

  it('stays consistent under random concurrent ingest, engage, alias and $delete traffic', async () => {
    const p = await t.newProject('stress');
    await t.identity.resolve(p.id, 'warm-up'); // the map is complete from here on: only write-through keeps it right
    await t.identity.idle();
    const ids = Array.from({ length: 12 }, (_, i) => `id-${i}`);
    const pick = () => ids[Math.floor(Math.random() * ids.length)];
    let seq = 0;
    const statuses: number[] = [];
    const op = async () => {
      const r = Math.random();
      const res = r < 0.5
        ? await post('/v1/events', p.token, { events: Array.from({ length: 20 }, () => ({ event: 'e', distinct_id: pick(), $insert_id: `s-${seq++ % 300}` })) })
        : r < 0.75
          ? await post('/v1/engage', p.token, { updates: [{ distinct_id: pick(), $add: { n: 1 } }, { distinct_id: pick(), $set: { x: Math.random() } }] })
          : r < 0.95
            ? await post('/v1/alias', p.token, { distinct_id: pick(), alias: pick() })
            : await post('/v1/engage', p.token, { distinct_id: pick(), $delete: true });
      statuses.push(res.status);
    };
    await Promise.all(Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 25; i++) await op();
    }));
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    const q = async (sql: string) => (await t.pool.query(sql, [p.id])).rows;
    // every person's event_count equals the events of its distinct ids; no person without ids
    const counts = await q(`SELECT p.id, p.event_count, (SELECT count(*) FROM events e JOIN person_distinct_ids d
                              ON d.project_id = e.project_id AND d.distinct_id = e.distinct_id WHERE d.person_id = p.id) AS n
                              FROM persons p WHERE p.project_id = $1`);
    for (const r of counts) expect(Number(r.event_count), JSON.stringify(r)).toBe(Number(r.n));
    expect(await q('SELECT id FROM persons p WHERE project_id = $1 AND NOT EXISTS (SELECT 1 FROM person_distinct_ids d WHERE d.person_id = p.id)')).toEqual([]);
    // and Redis (written through only) agrees with PostgreSQL on every id
    expect(await t.redis.get(t.keys.identityReady(p.id))).toBe('1');
    const mapped = new Map((await q('SELECT distinct_id, person_id FROM person_distinct_ids WHERE project_id = $1')).map((r) => [r.distinct_id, Number(r.person_id)]));
    for (const id of ids) {
      const r = await t.identity.resolve(p.id, id);
      expect(r.distinctIds, 'answered from Redis').toBeUndefined();
      expect(r.personId, id).toBe(mapped.get(id) ?? null);
      if (r.personId !== null) expect(r.properties, id).toEqual((await t.personRead.profile(p.id, id)).person.properties);
    }
  });

  it('reports Redis being unreachable as unavailable (callers degrade)', async () => {
    const dead = createRedis({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 50 });
    const identity = createIdentityService({
      tx: t.tx, persons: t.personStore, events: t.eventStore, logger: t.logger,
      cache: createIdentityCache({ redis: dead, bulk: dead, keys: t.keys }),
    });
    await expect(identity.resolve(1, 'x')).rejects.toMatchObject({ code: 'unavailable' });
    dead.disconnect();
  });
});
