import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { createApp } from '../../src/http/app.js';
import { createPool } from '../../src/adapters/postgres/pool.js';
import { createEventStore } from '../../src/adapters/postgres/event-store.js';
import { createPersonStore } from '../../src/adapters/postgres/person-store.js';
import { createIngestService } from '../../src/services/ingest.js';
import { eventRoutes } from '../../src/http/routes/events.js';
import { createTransactions } from '../../src/adapters/postgres/db.js';

let t: TestContext;
let p: Awaited<ReturnType<TestContext['newProject']>>;
beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('events');
});
afterAll(async () => {
  await t.cleanup();
});

const T0 = 1_700_000_000_000;
const send = (body: unknown, auth = p.bearer) => t.http.post('/v1/events').set(auth).send(body as object);
const count = async (sql: string, params: unknown[]) => Number((await t.pool.query(sql, params)).rows[0].n);
const eventsOf = (projectId: number) => count('SELECT count(*) AS n FROM events WHERE project_id = $1', [projectId]);

describe('POST /v1/events', () => {
  it('stores one event and creates its person on first sight', async () => {
    const res = await send({ event: 'signup', distinct_id: 'solo', time: T0, $insert_id: 'solo-1', properties: { plan: 'pro' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ stored: 1, deduplicated: 0, rejected: 0, errors: [], consistency_token: expect.stringMatching(/^ct1\./) });
    const person = await t.http.get(`/v1/projects/${p.id}/persons/solo`).set(t.admin);
    expect(person.status).toBe(200);
    expect(person.body.person).toMatchObject({ bucketing_key: 'solo', event_count: 1, first_seen: new Date(T0).toISOString(), identified: false });
    expect(person.body.distinct_ids).toEqual(['solo']);
    expect(person.body.stats.events_by_name).toEqual({ signup: 1 });
    expect((await t.http.get(`/v1/projects/${p.id}/persons/nobody`).set(t.admin)).status).toBe(404);
  });

  it('stores the valid events of a partial batch and reports the invalid ones by index and field', async () => {
    const ok = (i: number) => ({ event: 'view', distinct_id: `partial-${i}`, time: T0 + i, $insert_id: `partial-${i}` });
    const bad: Array<[unknown, string]> = [
      [{ event: 'view', distinct_id: 'null' }, 'distinct_id'],
      [{ event: 'view', distinct_id: 'Anonymous' }, 'distinct_id'],
      [{ event: 'view', distinct_id: '   ' }, 'distinct_id'],
      [{ event: 'view', distinct_id: '[object Object]' }, 'distinct_id'],
      [{ event: 'view', distinct_id: 'NaN' }, 'distinct_id'],
      [{ event: 'view', distinct_id: 'GUEST' }, 'distinct_id'],
      [{ event: 'view', distinct_id: 'undefined' }, 'distinct_id'],
      [{ event: 'view', distinct_id: '0' }, 'distinct_id'],
      [{ event: 'view', distinct_id: '' }, 'distinct_id'],
      [{ event: 'view', distinct_id: 42 }, 'distinct_id'],
      [{ event: 'view', distinct_id: 'x'.repeat(201) }, 'distinct_id'],
      [{ event: '', distinct_id: 'u' }, 'event'],
      [{ event: 'e'.repeat(201), distinct_id: 'u' }, 'event'],
      [{ event: 7, distinct_id: 'u' }, 'event'],
      [{ event: 'view', distinct_id: 'u', time: 1_700_000_000 }, 'time'],
      [{ event: 'view', distinct_id: 'u', time: 'yesterday' }, 'time'],
      [{ event: 'view', distinct_id: 'u', time: 1.5e12 + 0.5 }, 'time'],
      [{ event: 'view', distinct_id: 'u', properties: [1, 2] }, 'properties'],
      [{ event: 'view', distinct_id: 'u', properties: { bad: 'nul\u0000' } }, 'properties'],
      [{ event: 'view', distinct_id: 'u', $insert_id: 5 }, '$insert_id'],
      [{ event: 'view', distinct_id: 'u', properties: { $insert_id: {} } }, 'properties.$insert_id'],
      [{ event: 'view', distinct_id: 'u', timestamp: T0 }, 'timestamp'],
      ['not an event', ''],
    ];
    const batch: unknown[] = [ok(0)];
    for (const [e] of bad) batch.push(e);
    batch.push(ok(1));
    const res = await send({ events: batch });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stored: 2, deduplicated: 0, rejected: bad.length });
    bad.forEach(([, field], i) => {
      const err = res.body.errors[i];
      expect(err.index).toBe(i + 1);
      expect(err.field).toBe(field ? `body.events[${i + 1}].${field}` : `body.events[${i + 1}]`);
      expect(err.message).toBeTypeOf('string');
    });
    expect(await count('SELECT count(*) AS n FROM events WHERE project_id = $1 AND distinct_id LIKE $2', [p.id, 'partial-%'])).toBe(2);
  });

  it('accepts ISO times, a top-level array, a body token and gzip bodies', async () => {
    const iso = await send([{ event: 'iso', distinct_id: 'iso-user', time: '2024-05-01T10:00:00Z', $insert_id: 'iso-1' }]);
    expect(iso.body).toMatchObject({ stored: 1 });
    const { rows } = await t.pool.query('SELECT (extract(epoch FROM time) * 1000)::bigint AS ms FROM events WHERE project_id = $1 AND insert_id = $2', [p.id, 'iso-1']);
    expect(rows[0].ms).toBe(Date.parse('2024-05-01T10:00:00Z'));

    const beacon = await t.http.post('/v1/events').send({ token: p.token, event: 'beacon', distinct_id: 'b1', $insert_id: 'beacon-1' });
    expect(beacon.body).toMatchObject({ stored: 1 });

    const gz = gzipSync(JSON.stringify({ events: [{ event: 'gz', distinct_id: 'gz-user', $insert_id: 'gz-1' }] }));
    const gzipped = (body: Buffer | string) =>
      t.http.post('/v1/events').set(p.bearer).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').serialize((b: unknown) => b as string).send(body as string);
    const res = await gzipped(gz);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stored: 1 });
    const corrupt = await gzipped('not gzip at all');
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.error.message).toMatch(/^body: cannot decode/);
  });

  it('stores an $insert_id once: repeated batches, in-batch duplicates, properties.$insert_id', async () => {
    const batch = [
      { event: 'buy', distinct_id: 'dedup-user', time: T0, $insert_id: 'd-1' },
      { event: 'buy', distinct_id: 'dedup-user', time: T0 + 1, properties: { $insert_id: 'd-2' } },
      { event: 'buy', distinct_id: 'dedup-user', time: T0 + 2, $insert_id: 'd-1' },
    ];
    expect((await send({ events: batch })).body).toMatchObject({ stored: 2, deduplicated: 1, rejected: 0 });
    expect((await send({ events: batch })).body).toMatchObject({ stored: 0, deduplicated: 3, rejected: 0 });
    const person = await t.http.get(`/v1/projects/${p.id}/persons/dedup-user`).set(t.admin);
    expect(person.body.person.event_count).toBe(2);
    // without an $insert_id nothing can be deduplicated
    const anon = { event: 'ping', distinct_id: 'no-insert-id' };
    expect((await send({ events: [anon, anon] })).body).toMatchObject({ stored: 2, deduplicated: 0 });
  });

  it('stores each $insert_id once when duplicate batches race, and keeps person stats right', async () => {
    const events = Array.from({ length: 300 }, (_, i) => ({ event: 'race', distinct_id: `racer-${i % 7}`, time: T0 + i * 1000, $insert_id: `race-${i}` }));
    // 8 concurrent batches: the same 300 events in different orders and slices
    const batches = Array.from({ length: 8 }, (_, k) => {
      const shuffled = [...events].sort((a, b) => ((a.time * (k + 3)) % 97) - ((b.time * (k + 3)) % 97));
      return k % 2 ? shuffled : shuffled.slice(0, 200 + k * 10);
    });
    const results = await Promise.all(batches.map((b) => send({ events: b })));
    for (const r of results) expect(r.status).toBe(200);
    const stored = results.reduce((s, r) => s + r.body.stored, 0);
    const dedup = results.reduce((s, r) => s + r.body.deduplicated, 0);
    expect(stored).toBe(300);
    expect(stored + dedup).toBe(batches.reduce((s, b) => s + b.length, 0));
    expect(await count('SELECT count(*) AS n FROM events WHERE project_id = $1 AND event = $2', [p.id, 'race'])).toBe(300);
    const { rows } = await t.pool.query(
      `SELECT d.distinct_id, p.event_count, p.first_seen, p.last_seen FROM person_distinct_ids d JOIN persons p ON p.id = d.person_id
        WHERE d.project_id = $1 AND d.distinct_id LIKE 'racer-%' ORDER BY d.distinct_id`,
      [p.id],
    );
    expect(rows).toHaveLength(7);
    for (const r of rows) {
      const mine = events.filter((e) => e.distinct_id === r.distinct_id);
      expect(Number(r.event_count)).toBe(mine.length);
      expect(r.first_seen.getTime()).toBe(Math.min(...mine.map((e) => e.time)));
      expect(r.last_seen.getTime()).toBe(Math.max(...mine.map((e) => e.time)));
    }
  });

  it('creates one person for a new distinct_id sent by concurrent batches', async () => {
    const batches = Array.from({ length: 10 }, (_, k) => ({ events: Array.from({ length: 20 }, (_, i) => ({ event: 'hit', distinct_id: 'newcomer', time: T0 + k * 100 + i, $insert_id: `nc-${k}-${i}` })) }));
    await Promise.all(batches.map((b) => send(b)));
    expect(await count("SELECT count(*) AS n FROM persons WHERE project_id = $1 AND bucketing_key = 'newcomer'", [p.id])).toBe(1);
    const person = await t.http.get(`/v1/projects/${p.id}/persons/newcomer`).set(t.admin);
    expect(person.body.person.event_count).toBe(200);
    expect(person.body.person.first_seen).toBe(new Date(T0).toISOString());
    expect(person.body.person.last_seen).toBe(new Date(T0 + 919).toISOString());
  });

  it('enforces the limits with a 4xx that names the field', async () => {
    const many = Array.from({ length: 1_001 }, (_, i) => ({ event: 'x', distinct_id: 'u', $insert_id: `many-${i}` }));
    const tooMany = await send({ events: many });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/^body\.events: at most 1000 events/);

    const max = await send({ events: many.slice(0, 1_000) });
    expect(max.body).toMatchObject({ stored: 1_000 });

    // properties: 64 KB is fine, 64 KB + 1 is not
    const props = (bytes: number) => ({ pad: 'x'.repeat(bytes - '{"pad":""}'.length) });
    const sized = await send({ events: [
      { event: 'big', distinct_id: 'big', $insert_id: 'big-ok', properties: props(65_536) },
      { event: 'big', distinct_id: 'big', $insert_id: 'big-over', properties: props(65_537) },
    ] });
    expect(sized.body).toMatchObject({ stored: 1, rejected: 1 });
    expect(sized.body.errors[0]).toMatchObject({ index: 1, field: 'body.events[1].properties' });
    expect(sized.body.errors[0].message).toMatch(/65536 bytes/);

    // 5 MB is the body limit: 5 MB + 1 byte is a 413
    const limit = 5 * 1024 * 1024;
    const shell = JSON.stringify({ event: 'x', distinct_id: 'u', properties: { pad: '' } });
    const over = shell.replace('"pad":""', `"pad":"${'y'.repeat(limit + 1 - shell.length)}"`);
    expect(Buffer.byteLength(over)).toBe(limit + 1);
    const big = await t.http.post('/v1/events').set(p.bearer).set('Content-Type', 'application/json').send(over);
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');

    const malformed = await t.http.post('/v1/events').set(p.bearer).set('Content-Type', 'application/json').send('{"events": [');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/malformed JSON/);
    for (const [body, message] of [
      [{ events: 'nope' }, /^body\.events: must be an array/],
      [{ events: [] }, /^body\.events: must contain at least 1 event/],
      [{ events: [], extra: 1 }, /^body\.extra: unknown field/],
    ] as const) {
      const res = await send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    const scalar = await t.http.post('/v1/events').set(p.bearer).set('Content-Type', 'application/json').send('"hello"');
    expect(scalar.status).toBe(400);
    expect(scalar.body.error.message).toMatch(/^body: must be an event object/);
  });

  it('keeps tokens of project A out of project B', async () => {
    const a = await t.newProject('A');
    const b = await t.newProject('B');
    expect((await send({ event: 'mine', distinct_id: 'shared-id', $insert_id: 'ab-1' }, a.bearer)).body.stored).toBe(1);
    // a body token of B does not override A's bearer token
    expect((await t.http.post('/v1/events').set(a.bearer).send({ token: b.token, event: 'mine', distinct_id: 'shared-id', $insert_id: 'ab-2' })).body.stored).toBe(1);
    expect(await eventsOf(a.id)).toBe(2);
    expect(await eventsOf(b.id)).toBe(0);
    // the same $insert_id in B is B's own event, not a duplicate of A's
    expect((await send({ event: 'mine', distinct_id: 'shared-id', $insert_id: 'ab-1' }, b.bearer)).body.stored).toBe(1);
    expect((await send({ event: 'x', distinct_id: 'y' }, { Authorization: 'Bearer sbp_wrong' })).status).toBe(401);
    expect((await t.http.post('/v1/events').send({ event: 'x', distinct_id: 'y' })).status).toBe(401);
    const scoped = (await t.http.post(`/v1/projects/${a.id}/keys`).set(t.admin).send({ name: 'a' })).body.key;
    expect((await t.http.get(`/v1/projects/${b.id}/persons/shared-id`).set({ Authorization: `Bearer ${scoped}` })).status).toBe(404);
  });

  it('answers 503 with Retry-After when PostgreSQL is down', async () => {
    const down = createPool('postgres://postgres@127.0.0.1:1/nowhere', 1);
    const ingest = createIngestService({ tx: createTransactions(down), events: createEventStore(), persons: createPersonStore(), identity: t.identity, listener: t.feedEvents });
    const project = { id: p.id, name: 'x', tier: 'pro' as const, token: p.token, createdAt: '', allowedOrigins: null, eventRetentionDays: null, timeZone: 'UTC' };
    const pass = (req: { project?: unknown }, _res: unknown, next: () => void) => { req.project = project; next(); };
    const app = createApp({ logger: t.logger, metrics: t.metrics, auth: { requireProjectToken: pass, requireAdmin: pass, requireAdminProject: pass, originGuard: pass }, routes: [eventRoutes({ ingest })] });
    const res = await supertest(app).post('/v1/events').send({ event: 'x', distinct_id: 'u' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    await down.end();
  });
});
