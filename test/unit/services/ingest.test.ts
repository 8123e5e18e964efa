/**
 * The ingest service over in-memory fakes (event store, person store, identity map) with the
 * real identity service doing the write-through. Concurrency, rollback and the SQL itself
 * stay covered against PostgreSQL in test/http/events.test.ts and test/integration/identity.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EventStore } from '../../../src/ports/event-store.js';
import { createIdentityService } from '../../../src/services/identity.js';
import { createIngestService } from '../../../src/services/ingest.js';
import { createFakeEventStore } from '../../fakes/fake-event-store.js';
import { createFakeFeedListener } from '../../fakes/fake-feed-listener.js';
import { createFakeIdentityCache } from '../../fakes/fake-identity-cache.js';
import { createFakePersonStore } from '../../fakes/fake-person-store.js';
import { createFakeTransactions } from '../../fakes/fake-transactions.js';

const silent = pino({ level: 'silent' });
const T0 = 1_700_000_000_000;
const P = 1;

function setup(opts: { events?: EventStore } = {}) {
  const events = createFakeEventStore();
  const persons = createFakePersonStore({ events, now: () => T0 });
  const cache = createFakeIdentityCache();
  const tx = createFakeTransactions();
  const identity = createIdentityService({ tx, persons, events, cache, logger: silent });
  const listener = createFakeFeedListener();
  const counted: Record<string, number> = {};
  const ingest = createIngestService({
    tx, events: opts.events ?? events, persons, identity, listener, now: () => T0,
    count: (outcome, n) => void (counted[outcome] = (counted[outcome] ?? 0) + n),
  });
  return { events, persons, cache, tx, listener, counted, ingest };
}

const view = (distinct_id: string, i: number, extra: Record<string, unknown> = {}) => ({ event: 'view', distinct_id, time: T0 + i, $insert_id: `${distinct_id}-${i}`, ...extra });

describe('ingest service (fakes)', () => {
  it('reports invalid events by index and full field path, and stores their valid neighbours', async () => {
    const s = setup();
    const bad: Array<[unknown, string]> = [
      [{ event: 'view', distinct_id: 'null' }, 'distinct_id'],
      [{ event: 'view', distinct_id: 'x'.repeat(201) }, 'distinct_id'],
      [{ event: '', distinct_id: 'u' }, 'event'],
      [{ event: 'view', distinct_id: 'u', time: 1_700_000_000 }, 'time'],
      [{ event: 'view', distinct_id: 'u', time: T0 + 2 * 86_400_000 }, 'time'],
      [{ event: 'view', distinct_id: 'u', properties: [1] }, 'properties'],
      [{ event: 'view', distinct_id: 'u', properties: { bad: 'nul\u0000' } }, 'properties'],
      [{ event: 'view', distinct_id: 'u', $insert_id: 5 }, '$insert_id'],
      [{ event: 'view', distinct_id: 'u', properties: { $insert_id: {} } }, 'properties.$insert_id'],
      [{ event: 'view', distinct_id: 'u', timestamp: T0 }, 'timestamp'],
      ['not an event', ''],
    ];
    const batch = [view('first', 0), ...bad.map(([e]) => e), view('last', 1)];
    const res = await s.ingest.ingest(P, batch, { path: ['body', 'events'] });
    expect(res).toMatchObject({ stored: 2, deduplicated: 0, rejected: bad.length });
    expect(res.errors.map((e) => [e.index, e.field])).toEqual(bad.map(([, f], i) => [i + 1, f ? `body.events[${i + 1}].${f}` : `body.events[${i + 1}]`]));
    for (const e of res.errors) expect(e.message).toMatch(/\w/);
    expect(s.events.all(P).map((e) => e.distinctId)).toEqual(['first', 'last']);
    expect(s.counted).toEqual({ stored: 2, deduplicated: 0, rejected: bad.length });
  });

  it('names fields without an index for a single event, and `events[i]` by default', async () => {
    const s = setup();
    expect((await s.ingest.ingest(P, [{ event: 'x', distinct_id: 'guest' }], { path: ['body'], single: true })).errors)
      .toEqual([{ index: 0, field: 'body.distinct_id', message: '"guest" is a placeholder id, not a user' }]);
    expect((await s.ingest.ingest(P, ['nope'], { path: ['body'], single: true })).errors[0].field).toBe('body');
    expect((await s.ingest.ingest(P, ['nope'], { path: [], single: true })).errors[0].field).toBe('(body)');
    expect((await s.ingest.ingest(P, [view('ok', 0), { event: 7, distinct_id: 'u' }])).errors[0]).toMatchObject({ index: 1, field: 'events[1].event' });
  });

  it('stores an $insert_id once: in-batch duplicates, repeated batches, properties.$insert_id', async () => {
    const s = setup();
    const batch = [
      { event: 'buy', distinct_id: 'dup', time: T0, $insert_id: 'd-1' },
      { event: 'buy', distinct_id: 'dup', time: T0 + 1, properties: { $insert_id: 'd-2' } },
      { event: 'buy', distinct_id: 'dup', time: T0 + 2, $insert_id: 'd-1' },
    ];
    expect(await s.ingest.ingest(P, batch)).toEqual({ stored: 2, deduplicated: 1, rejected: 0, errors: [] });
    expect(await s.ingest.ingest(P, batch)).toEqual({ stored: 0, deduplicated: 3, rejected: 0, errors: [] });
    expect(s.events.all(P).map((e) => [e.insertId, e.time])).toEqual([['d-1', T0], ['d-2', T0 + 1]]);
    expect(s.persons.row(P, s.persons.personIdOf(P, 'dup')!)).toMatchObject({ eventCount: 2, firstSeen: T0, lastSeen: T0 + 1 });
    expect(s.counted).toEqual({ stored: 2, deduplicated: 4, rejected: 0 });
    // without an $insert_id nothing can be deduplicated: each gets a generated id
    const ping = { event: 'ping', distinct_id: 'no-id' };
    expect(await s.ingest.ingest(P, [ping, ping])).toMatchObject({ stored: 2, deduplicated: 0 });
    expect(s.events.all(P).filter((e) => e.event === 'ping').map((e) => e.insertId)).toEqual([expect.stringMatching(/^gen:/), expect.stringMatching(/^gen:/)]);
  });

  it('keeps the same $insert_id of another project apart', async () => {
    const s = setup();
    expect((await s.ingest.ingest(1, [view('u', 0)])).stored).toBe(1);
    expect((await s.ingest.ingest(2, [view('u', 0)])).stored).toBe(1);
    expect(s.persons.personIdOf(1, 'u')).not.toBe(s.persons.personIdOf(2, 'u'));
  });

  it('creates a person on first sight, keyed by the distinct_id, and sums its stats across batches', async () => {
    const s = setup();
    await s.ingest.ingest(P, [view('ann', 5), view('ann', -10), view('bob', 0), view('ann', 20)]);
    const ann = s.persons.personIdOf(P, 'ann')!;
    expect(s.persons.row(P, ann)).toMatchObject({ bucketingKey: 'ann', identified: false, eventCount: 3, firstSeen: T0 - 10, lastSeen: T0 + 20 });
    expect(s.persons.row(P, s.persons.personIdOf(P, 'bob')!)).toMatchObject({ bucketingKey: 'bob', eventCount: 1 });
    await s.ingest.ingest(P, [view('ann', 30), view('ann', -50)]);
    expect(s.persons.rows(P)).toHaveLength(2);
    expect(s.persons.row(P, ann)).toMatchObject({ eventCount: 5, firstSeen: T0 - 50, lastSeen: T0 + 30 });
  });

  it('tells the listeners after the commit: created identities, then every person with stored events', async () => {
    const s = setup();
    const bob = s.persons.seed(P, { distinctIds: ['bob', 'bob-phone'] });
    await s.ingest.ingest(P, [view('ann', 0), view('bob-phone', 1), view('cy', 2), view('bob', 3)]);
    const ann = s.persons.personIdOf(P, 'ann')!;
    const cy = s.persons.personIdOf(P, 'cy')!;
    const [identities, changed, ...rest] = s.listener.take();
    expect(identities).toEqual({ method: 'identitiesChanged', projectId: P, changes: [{ personId: ann, distinctIds: ['ann'] }, { personId: cy, distinctIds: ['cy'] }] });
    expect(changed.method).toBe('personsChanged');
    expect(changed.method === 'personsChanged' && [...changed.personIds].sort((a, b) => a - b)).toEqual([bob.id, ann, cy]); // any order
    expect(rest).toEqual([]);
    await s.ingest.ingest(P, [view('ann', 9)]);
    expect(s.listener.take()).toEqual([{ method: 'personsChanged', projectId: P, personIds: [ann] }]);
    // nothing stored (all duplicates or invalid): nobody is told
    await s.ingest.ingest(P, [view('ann', 9), { event: 'x', distinct_id: 'null' }]);
    expect(s.listener.take()).toEqual([]);
  });

  it('writes new ids and new persons\' documents through to the identity map, and nothing for known persons', async () => {
    const s = setup();
    const bob = s.persons.seed(P, { distinctIds: ['bob'], properties: { plan: 'pro' } });
    await s.ingest.ingest(P, [view('ann', 0), view('bob', 1)]);
    const ann = s.persons.row(P, s.persons.personIdOf(P, 'ann')!)!;
    expect(s.cache.writes).toEqual([{
      projectId: P,
      write: {
        docs: [{ id: ann.id, bucketingKey: 'ann', propertiesJson: '{}', identified: false, version: ann.version, surveyHistory: { answered: [], lastShownAt: null } }],
        newIds: [['ann', ann.id]],
        surveyIncrements: new Map(),
      },
    }]);
    expect(s.cache.peek(P, 'ann')).toMatchObject({ personId: ann.id, person: { id: ann.id, bucketingKey: 'ann', properties: {} } });
    expect(s.cache.personIdOf(P, 'bob')).toBeUndefined(); // known persons are already in the map
    expect(bob.eventCount).toBe(1);
  });

  it('counts `survey sent` per survey key and reloads the documents of persons with survey events', async () => {
    const s = setup();
    const batch = [
      { event: 'survey shown', distinct_id: 'ann', time: T0 + 1, $insert_id: 's-1', properties: { $survey_key: 'nps' } },
      { event: 'survey sent', distinct_id: 'ann', time: T0 + 2, $insert_id: 's-2', properties: { $survey_key: 'nps', score: 9 } },
      { event: 'survey sent', distinct_id: 'bob', time: T0 + 3, $insert_id: 's-3', properties: { $survey_key: 'nps' } },
      { event: 'survey sent', distinct_id: 'bob', time: T0 + 4, $insert_id: 's-4', properties: { $survey_key: 'onboarding' } },
      { event: 'survey sent', distinct_id: 'cy', time: T0 + 5, $insert_id: 's-5', properties: { $survey_key: 7 } },
      { event: 'survey sent', distinct_id: 'cy', time: T0 + 6, $insert_id: 's-6' },
    ];
    await s.ingest.ingest(P, batch);
    const [ann, bob, cy] = ['ann', 'bob', 'cy'].map((d) => s.persons.personIdOf(P, d)!);
    const { write } = s.cache.writes[0];
    expect(write.surveyIncrements).toEqual(new Map([['nps', 2], ['onboarding', 1]]));
    expect(write.newIds).toEqual([['ann', ann], ['bob', bob], ['cy', cy]]);
    // ann and bob are reloaded from the store (their history changed); cy has no keyed survey event
    expect(write.docs!.map((d) => [d.id, d.surveyHistory])).toEqual([
      [cy, { answered: [], lastShownAt: null }],
      [ann, { answered: ['nps'], lastShownAt: T0 + 1 }],
      [bob, { answered: ['nps', 'onboarding'], lastShownAt: null }],
    ]);
    expect(s.cache.responses(P, 'nps')).toBe(2);
    expect(s.cache.peek(P, 'ann').person?.surveyHistory).toEqual({ answered: ['nps'], lastShownAt: T0 + 1 });
    // the same batch again stores nothing and counts nothing
    await s.ingest.ingest(P, batch);
    expect(s.cache.responses(P, 'nps')).toBe(2);
    expect(s.cache.writes).toHaveLength(1);
  });

  it('still answers when the identity write-through fails, and clears the map\'s ready flag once Redis is back', async () => {
    const s = setup();
    s.cache.markReady(P);
    s.cache.failWrites(new Error('ECONNREFUSED'));
    expect((await s.ingest.ingest(P, [view('ann', 0)])).stored).toBe(1);
    expect(s.listener.take().map((c) => c.method)).toEqual(['identitiesChanged', 'personsChanged']);
    expect(s.cache.isReady(P)).toBe(true); // Redis was unreachable: nothing could be cleared yet
    s.cache.failWrites(null);
    await s.ingest.ingest(P, [view('ann', 1)]);
    expect(s.cache.isReady(P)).toBe(false); // the next lookup rebuilds the map from PostgreSQL
  });

  it('stores nothing and tells nobody when the event store fails', async () => {
    const failing: EventStore = { ...createFakeEventStore(), insert: async () => Promise.reject(new Error('connection terminated')) };
    const s = setup({ events: failing });
    await expect(s.ingest.ingest(P, [view('ann', 0)])).rejects.toThrow('connection terminated');
    expect(s.persons.rows(P)).toEqual([]);
    expect(s.listener.calls).toEqual([]);
    expect(s.cache.writes).toEqual([]);
  });
});
