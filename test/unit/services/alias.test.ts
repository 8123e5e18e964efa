/**
 * The alias service over in-memory fakes, with the real identity service doing the
 * write-through. Races between alias and ingest, and the HTTP statuses, stay covered against
 * PostgreSQL and Redis in test/http/alias.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAliasService } from '../../../src/services/alias.js';
import { createIdentityService } from '../../../src/services/identity.js';
import { createFakeEventStore } from '../../fakes/fake-event-store.js';
import { createFakeFeedListener } from '../../fakes/fake-feed-listener.js';
import { createFakeIdentityCache } from '../../fakes/fake-identity-cache.js';
import { createFakePersonStore } from '../../fakes/fake-person-store.js';
import { createFakeTransactions } from '../../fakes/fake-transactions.js';

const silent = pino({ level: 'silent' });
const T0 = 1_700_000_000_000;
const P = 1;

function setup() {
  const events = createFakeEventStore();
  const persons = createFakePersonStore({ events, now: () => T0 });
  const cache = createFakeIdentityCache();
  const tx = createFakeTransactions();
  const listener = createFakeFeedListener();
  const identity = createIdentityService({ tx, persons, events, cache, logger: silent });
  const service = createAliasService({ tx, persons, identity, listener });
  return { persons, cache, tx, listener, alias: (distinctId: string, alias: string) => service.alias(P, distinctId, alias) };
}

describe('alias service (fakes)', () => {
  it('neither id known: one identified person holding both, keyed by the alias', async () => {
    const s = setup();
    const res = await s.alias('user-1', 'anon-1');
    expect(res).toEqual({ personId: expect.any(Number), distinctIds: ['anon-1', 'user-1'], bucketingKey: 'anon-1', merged: false });
    expect(s.persons.rows(P)).toHaveLength(1);
    expect(s.persons.row(P, res.personId)).toMatchObject({ identified: true, bucketingKey: 'anon-1' });
    expect(s.cache.peek(P, 'user-1')).toMatchObject({ personId: res.personId, person: { bucketingKey: 'anon-1', identified: true } });
    expect(s.cache.peek(P, 'anon-1').personId).toBe(res.personId);
  });

  it('only the alias known: its person gains distinct_id, keeps its bucketing key and becomes identified', async () => {
    const s = setup();
    const anon = s.persons.seed(P, { distinctIds: ['anon-2'], eventCount: 3 });
    const res = await s.alias('user-2', 'anon-2');
    expect(res).toEqual({ personId: anon.id, distinctIds: ['anon-2', 'user-2'], bucketingKey: 'anon-2', merged: false });
    expect(s.persons.row(P, anon.id)).toMatchObject({ identified: true, eventCount: 3 });
    expect(s.cache.writes.at(-1)!.write).toMatchObject({ setIds: [['user-2', anon.id]], removedPersons: [] });
    expect(s.cache.doc(P, anon.id)).toMatchObject({ identified: true, bucketingKey: 'anon-2' });
  });

  it('only distinct_id known: its person gains the alias and keeps its own key', async () => {
    const s = setup();
    const user = s.persons.seed(P, { distinctIds: ['user-3'] });
    const res = await s.alias('user-3', 'anon-3');
    expect(res).toEqual({ personId: user.id, distinctIds: ['anon-3', 'user-3'], bucketingKey: 'user-3', merged: false });
    expect(s.persons.row(P, user.id)!.identified).toBe(true);
    expect(s.cache.peek(P, 'anon-3')).toMatchObject({ personId: user.id, person: { bucketingKey: 'user-3' } });
  });

  it('both ids on one person: nothing moves (idempotent); the identified flag is still written through', async () => {
    const s = setup();
    const first = await s.alias('user-4', 'anon-4');
    s.listener.take();
    const writes = s.cache.writes.length;
    expect(await s.alias('user-4', 'anon-4')).toEqual(first);
    expect(s.persons.rows(P)).toHaveLength(1);
    expect(s.listener.calls).toEqual([]);
    expect(s.cache.writes.slice(writes)).toEqual([{ projectId: P, write: { docs: [expect.objectContaining({ id: first.personId, identified: true })] } }]);
  });

  it('both known on different persons: merges the alias\'s person into distinct_id\'s, whose key wins', async () => {
    const s = setup();
    const anon = s.persons.seed(P, { distinctIds: ['anon-5', 'anon-5-tablet'], eventCount: 2, firstSeen: T0 - 5_000, lastSeen: T0 - 4_000 });
    const user = s.persons.seed(P, { distinctIds: ['user-5'], eventCount: 3, firstSeen: T0 + 5_000, lastSeen: T0 + 5_002 });
    const res = await s.alias('user-5', 'anon-5');
    expect(res).toEqual({ personId: user.id, distinctIds: ['anon-5', 'anon-5-tablet', 'user-5'], bucketingKey: 'user-5', merged: true });
    expect(s.persons.row(P, anon.id)).toBeUndefined();
    expect(s.persons.row(P, user.id)).toMatchObject({ identified: true, eventCount: 5, firstSeen: T0 - 5_000, lastSeen: T0 + 5_002 });
    // the write-through moves every id of the merged person and drops its document
    expect(s.cache.writes.at(-1)!.write).toMatchObject({
      setIds: [['anon-5', user.id], ['anon-5-tablet', user.id]],
      removedPersons: [anon.id],
      docs: [expect.objectContaining({ id: user.id, bucketingKey: 'user-5' })],
    });
    expect(s.cache.peek(P, 'anon-5-tablet').person?.id).toBe(user.id);
    expect(s.cache.doc(P, anon.id)).toBeUndefined();
    expect((await s.alias('user-5', 'anon-5')).merged).toBe(false); // idempotent afterwards
  });

  it('keeps the identified person\'s values on a merge, except the earlier $set_once of a key both set once', async () => {
    const s = setup();
    s.persons.seed(P, {
      distinctIds: ['anon-6'],
      properties: { first_touch: 'anon-ad', initial: 'a', shared: 'anon', only_anon: 1 },
      setOnceAt: { first_touch: T0 - 5_000, initial: T0 - 5_000 },
    });
    const user = s.persons.seed(P, {
      distinctIds: ['user-6'],
      properties: { first_touch: 'user-ad', shared: 'user', initial: 'set-by-user' },
      setOnceAt: { first_touch: T0 + 5_000 },
    });
    await s.alias('user-6', 'anon-6');
    expect(s.persons.row(P, user.id)).toMatchObject({
      properties: { first_touch: 'anon-ad', initial: 'set-by-user', shared: 'user', only_anon: 1 },
      setOnceAt: { first_touch: T0 - 5_000 },
    });
    expect(s.cache.peek(P, 'anon-6').person?.properties).toEqual({ first_touch: 'anon-ad', initial: 'set-by-user', shared: 'user', only_anon: 1 });
  });

  it('refuses to merge an already identified alias (account takeover): conflict, and nothing changes', async () => {
    const s = setup();
    await s.alias('user-7', 'anon-7');
    s.persons.seed(P, { distinctIds: ['user-8'] });
    s.listener.take();
    const rows = JSON.stringify(s.persons.rows(P));
    const writes = s.cache.writes.length;
    for (const [distinctId, alias] of [['attacker', 'anon-7'], ['attacker', 'user-7'], ['user-8', 'anon-7']]) {
      await expect(s.alias(distinctId, alias)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/already identified/), details: { field: 'body.alias' } });
    }
    expect(JSON.stringify(s.persons.rows(P))).toBe(rows);
    expect(s.persons.personIdOf(P, 'attacker')).toBeUndefined();
    expect(s.cache.writes).toHaveLength(writes);
    expect(s.listener.calls).toEqual([]);
  });

  it('refuses placeholder, empty, non-string and equal ids as invalid requests naming the field', async () => {
    const s = setup();
    const cases: Array<[unknown, unknown, string, RegExp]> = [
      ['user-x', 'anonymous', 'body.alias', /^body\.alias: "anonymous" is a placeholder/],
      ['null', 'anon-x', 'body.distinct_id', /^body\.distinct_id: "null" is a placeholder/],
      ['', 'anon-x', 'body.distinct_id', /^body\.distinct_id: must not be empty/],
      [42, 'anon-x', 'body.distinct_id', /^body\.distinct_id: must be a string/],
      ['same', 'same', 'body.alias', /^body\.alias: must differ from distinct_id/],
    ];
    for (const [d, a, path, message] of cases) {
      await expect(s.alias(d as string, a as string)).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(message), details: { issues: [{ path }] } });
    }
    expect(s.tx.counts.runRetrying).toBe(0);
  });

  it('refuses a merge whose properties would pass 640 KB (unprocessable)', async () => {
    const s = setup();
    s.persons.seed(P, { distinctIds: ['anon-9'], properties: { a: 'x'.repeat(400_000) } });
    s.persons.seed(P, { distinctIds: ['user-9'], properties: { b: 'y'.repeat(400_000) } });
    await expect(s.alias('user-9', 'anon-9')).rejects.toMatchObject({ code: 'unprocessable', message: expect.stringMatching(/655360 bytes/) });
    expect(s.persons.rows(P)).toHaveLength(2);
  });

  it('tells the listeners the person\'s ids, that it changed and, after a merge, which person went', async () => {
    const s = setup();
    const created = await s.alias('user-10', 'anon-10');
    expect(s.listener.take()).toEqual([
      { method: 'identitiesChanged', projectId: P, changes: [{ personId: created.personId, distinctIds: ['anon-10', 'user-10'] }] },
      { method: 'personsChanged', projectId: P, personIds: [created.personId] },
    ]);
    const anon = s.persons.seed(P, { distinctIds: ['anon-11'] });
    const merged = await s.alias('user-10', 'anon-11');
    expect(s.listener.take()).toEqual([
      { method: 'identitiesChanged', projectId: P, changes: [{ personId: created.personId, distinctIds: ['anon-10', 'anon-11', 'user-10'] }] },
      { method: 'personsChanged', projectId: P, personIds: [merged.personId] },
      { method: 'personsRemoved', projectId: P, personIds: [anon.id] },
    ]);
  });
});
