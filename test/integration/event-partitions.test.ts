/**
 * Events partitioned by month (PRODUCT.md 13, issue 16): the forward-only migration converts
 * an existing `events` table holding UCI Online Retail events without losing or changing a
 * row; ingest deduplicates across partitions; the refresher's maintenance moves history out of
 * the default partition, creates months ahead, and applies retention.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/adapters/postgres/migrate.js';
import { createEventPartitions } from '../../src/adapters/postgres/event-partitions.js';
import { openFile, csvRows } from '../../src/import/sources.js';
import { mapUciRow, type UciRow } from '../../src/import/uci-online-retail.js';
import { createEventMaintenance } from '../../src/refresher/event-maintenance.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { adminUrl, databaseUrl } from '../helpers/databases.js';
import { UCI } from '../helpers/uci.js';
import { pino } from 'pino';

const silent = pino({ level: 'silent' });
const SLICE = 40_000; // UCI data rows read (about 28,000 events)

/** count, and an order-independent checksum of every column that must survive. */
const FINGERPRINT = `SELECT count(*)::int AS n,
  sum(hashtext(id::text || project_id::text || event || distinct_id || time::text || insert_id || properties::text || received_at::text)::bigint)::text AS sum
  FROM events`;

describe('the migration to monthly partitions', () => {
  const name = `sb_mig_${randomBytes(4).toString('hex')}`;
  let client: pg.Client;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    client = new pg.Client({ connectionString: databaseUrl(name) });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('keeps every UCI event, byte for byte, and their insert ids', async () => {
    // The schema as it was before partitioning (migrations 001-004).
    await runner({ dbClient: client, dir: path.resolve('migrations'), direction: 'up', migrationsTable: 'pgmigrations', count: 4, singleTransaction: true, log: () => {} });
    const { rows: [p] } = await client.query<{ id: number }>("INSERT INTO projects (name, tier, token) VALUES ('uci', 'pro', 'sbp_migration_test_token') RETURNING id");
    const batch: unknown[][] = [];
    const flush = async () => {
      if (!batch.length) return;
      await client.query(
        `INSERT INTO events (project_id, event, distinct_id, time, insert_id, properties)
         SELECT $1, r.e, r.d, to_timestamp(r.t / 1000.0), r.i, r.p FROM json_to_recordset($2::json) AS r(e text, d text, t bigint, i text, p jsonb)`,
        [p.id, JSON.stringify(batch.map(([e, d, t, i, props]) => ({ e, d, t, i, p: props })))],
      );
      batch.length = 0;
    };
    let n = 0;
    for await (const row of csvRows(openFile(UCI).stream)) {
      if (++n > SLICE) break;
      const e = mapUciRow(row as unknown as UciRow, n)?.event;
      if (!e) continue;
      batch.push([e.event, e.distinct_id, e.time, e.$insert_id, e.properties]);
      if (batch.length === 5_000) await flush();
    }
    await flush();
    const before = (await client.query(FINGERPRINT)).rows[0];
    expect(before.n).toBeGreaterThan(20_000);

    // 005 first, then any later migration (009_cohort_time_zone, …)
    expect((await migrate(databaseUrl(name)))[0]).toBe('005_events_partitioned');

    const after = (await client.query(FINGERPRINT)).rows[0];
    expect(after).toEqual(before);
    const ids = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM event_ids e JOIN events v USING (project_id, insert_id) WHERE e.time = v.time');
    expect(ids.rows[0].n).toBe(before.n);
    // Every UCI month (Dec 2010 - Dec 2011) has its own partition; nothing in the default one.
    const parts = await client.query<{ relname: string; n: number }>(
      `SELECT c.relname, (SELECT count(*) FROM events e WHERE e.tableoid = c.oid)::int AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
    );
    const byName = new Map(parts.rows.map((r) => [r.relname, r.n]));
    expect(byName.get('events_default')).toBe(0);
    expect(byName.get('events_y2010m12')).toBeGreaterThan(0);
    expect([...byName.values()].reduce((a, b) => a + b, 0)).toBe(before.n);
    // New ids continue after the old ones.
    const next = await client.query<{ id: string }>("INSERT INTO events (project_id, event, distinct_id, time, insert_id) VALUES ($1, 'x', 'y', now(), 'new') RETURNING id", [p.id]);
    const max = await client.query<{ m: string }>("SELECT max(id) AS m FROM events WHERE insert_id <> 'new'");
    expect(BigInt(next.rows[0].id)).toBeGreaterThan(BigInt(max.rows[0].m));
  });
});

describe('ingest and maintenance on partitions', () => {
  let t: TestContext;
  let p: { id: number; bearer: { Authorization: string } };
  beforeAll(async () => {
    t = await createTestContext();
    p = await t.newProject('partitions');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const count = async (sql: string, params: unknown[] = []) => Number((await t.pool.query<{ n: string }>(sql, params)).rows[0].n);

  it('deduplicates an insert id across months and the default partition', async () => {
    const old = Date.UTC(2011, 2, 3);
    const send = (time: number) => t.http.post('/v1/events').set(p.bearer).send({ event: 'e', distinct_id: 'u1', time, $insert_id: 'same-id' });
    expect((await send(old)).body).toMatchObject({ stored: 1 });
    expect((await send(Date.now())).body).toMatchObject({ stored: 0, deduplicated: 1 });
    expect(await count("SELECT count(*) AS n FROM events WHERE insert_id = 'same-id'")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM events_default WHERE insert_id = 'same-id'")).toBe(1);
  });

  it('moves default-partition history into its own months, creates months ahead, keeps every row', async () => {
    const events = [Date.UTC(2011, 2, 5), Date.UTC(2011, 3, 9), Date.UTC(2011, 3, 30, 23, 59)].map((time, i) => ({ event: 'old', distinct_id: 'u2', time, $insert_id: `old-${i}` }));
    await t.http.post('/v1/events').set(p.bearer).send({ events }).expect(200);
    const total = await count('SELECT count(*) AS n FROM events');
    const maintenance = createEventMaintenance({ partitions: createEventPartitions(t.pool), logger: silent });
    const now = Date.now();
    const report = await maintenance.runNow(now);
    expect(report.split.map((s) => s.name)).toEqual(['events_y2011m03', 'events_y2011m04']);
    expect(report.split.map((s) => s.rows)).toEqual([2, 2]);
    expect(await count('SELECT count(*) AS n FROM events_default')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM events')).toBe(total);
    expect(await count('SELECT count(*) AS n FROM events_y2011m04')).toBe(2);
    // An event of a month that exists now lands in it.
    await t.http.post('/v1/events').set(p.bearer).send({ event: 'old', distinct_id: 'u2', time: Date.UTC(2011, 3, 1), $insert_id: 'old-3' }).expect(200);
    expect(await count('SELECT count(*) AS n FROM events_y2011m04')).toBe(3);
    // Months ahead: this one and the next two exist.
    const names = (await createEventPartitions(t.pool).months()).map((m) => m.name);
    const d = new Date(now);
    for (let k = 0; k <= 2; k++) {
      const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1));
      expect(names).toContain(`events_y${m.getUTCFullYear()}m${String(m.getUTCMonth() + 1).padStart(2, '0')}`);
    }
    expect((await maintenance.runNow(now)).split).toEqual([]);
  });

  it('applies retention: rows of a shorter retention deleted, whole partitions dropped once past every project', async () => {
    const other = await t.newProject('keeps-forever');
    const now = Date.now();
    await t.http.post('/v1/events').set(p.bearer).send({ events: [
      { event: 'recent', distinct_id: 'u3', time: now - 86_400_000, $insert_id: 'recent-1' },
      { event: 'aged', distinct_id: 'u3', time: now - 40 * 86_400_000, $insert_id: 'aged-1' },
    ] }).expect(200);
    await t.http.post('/v1/events').set({ Authorization: `Bearer ${(await t.projectStore.get(other.id))!.token}` }).send({ event: 'aged', distinct_id: 'v', time: Date.UTC(2011, 2, 6), $insert_id: 'other-old' }).expect(200);
    const patched = await t.http.patch(`/v1/projects/${p.id}`).set(t.admin).send({ event_retention_days: 30 });
    expect(patched.body.event_retention_days).toBe(30);
    const maintenance = createEventMaintenance({ partitions: createEventPartitions(t.pool), logger: silent });

    // The other project keeps events forever: nothing is dropped, only this project's old rows go.
    let report = await maintenance.runNow(now);
    expect(report.dropped).toEqual([]);
    expect(await count("SELECT count(*) AS n FROM events WHERE project_id = $1 AND event = 'aged'", [p.id])).toBe(0);
    expect(await count("SELECT count(*) AS n FROM events WHERE project_id = $1 AND time < now() - interval '30 days'", [p.id])).toBe(0);
    expect(await count("SELECT count(*) AS n FROM events WHERE project_id = $1 AND insert_id = 'recent-1'", [p.id])).toBe(1);
    expect(await count("SELECT count(*) AS n FROM event_ids WHERE project_id = $1 AND insert_id = 'aged-1'", [p.id])).toBe(0);
    expect(await count("SELECT count(*) AS n FROM events WHERE insert_id = 'other-old'")).toBe(1);

    // Once every project has a retention, months past the longest one are dropped whole.
    await t.pool.query('UPDATE projects SET event_retention_days = 365');
    report = await maintenance.runNow(now);
    expect(report.dropped).toEqual(expect.arrayContaining(['events_y2011m03', 'events_y2011m04']));
    expect(await count("SELECT count(*) AS n FROM events WHERE insert_id = 'other-old'")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM event_ids WHERE insert_id = 'other-old'")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM events WHERE insert_id = 'recent-1'")).toBe(1);
  });
});
