/**
 * Fault: PostgreSQL "restarted" mid-ingest (PRODUCT.md 12): every connection through a proxy
 * in front of this file's database is dropped and new ones are refused for a few seconds
 * (the shared server itself is never touched), under steady ingest and handshake load.
 * Ingest clients retry a batch with the same $insert_ids until it is answered 200, as the
 * SDK does. Counted in PostgreSQL afterwards: events lost (target 0), duplicates stored
 * (target 0), person event counts that disagree with the stored events (target 0).
 */
import { inject } from 'vitest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { createTestDatabase } from '../helpers/databases.js';
import { recordFigures } from '../helpers/fault-figures.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { createHttpClient, type HttpClient } from '../helpers/http-client.js';
import { listen, type RunningServer } from '../helpers/http-server.js';
import { captureLogs } from '../helpers/log-capture.js';
import { summarize } from '../helpers/latency.js';
import { okPercent, startLoad, statusCounts } from '../helpers/steady-load.js';

const DOWN_MS = 3_000;
const CLIENTS = 4;
const BATCHES_PER_CLIENT = 40;
const EVENTS_PER_BATCH = 10;
/** how long a client waits before resending (the server says Retry-After: 5; tests cannot wait that long) */
const RETRY_PAUSE_MS = 150;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let proxy: FaultProxy;
let t: TestContext;
let server: RunningServer;
let client: HttpClient;
let direct: pg.Client;
let p: { id: number; token: string; bearer: { Authorization: string } };
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  db = await createTestDatabase(inject('templateDb'));
  proxy = await startFaultProxy(Number(new URL(db.url).port || 5432));
  t = await createTestContext({ DATABASE_URL: proxy.via(db.url), RATE_LIMIT_PER_S: '1000000', DEFINITIONS_POLL_MS: '200' });
  p = await t.newProject('pg-restart');
  const res = await t.http.post(`/v1/projects/${p.id}/flags`).set(t.admin).send({
    key: 'beta', enabled: true, default_variant: 'off', off_variant: 'off',
    rules: [{ id: 'pro', condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'on' } }],
  });
  expect(res.status).toBe(201);
  server = await listen(t.app);
  client = createHttpClient(server.url, { maxSockets: 8, timeoutMs: 20_000 });
  logs = captureLogs(t.logger, 'error');
  direct = new pg.Client({ connectionString: db.url });
  await direct.connect();
});
afterAll(async () => {
  client?.close();
  await direct?.end();
  await server?.close();
  await t?.cleanup().catch(() => {});
  await proxy?.close();
  await db?.drop();
});

describe('fault: PostgreSQL restarted mid-ingest', () => {
  it('loses no event and stores none twice when clients retry with the same $insert_id', async () => {
    const attempts: Array<{ at: number; status: number; retryAfter: boolean; ms: number }> = [];
    const ackMs: number[] = [];
    const sentIds = new Set<string>();
    const ackedIds = new Set<string>();

    const ingestClient = async (c: number) => {
      for (let b = 0; b < BATCHES_PER_CLIENT; b++) {
        const events = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => {
          const id = `pr-${c}-${b}-${i}`;
          sentIds.add(id);
          return { event: i % 3 ? 'pageview' : 'purchase', distinct_id: `user-${c}-${b % 7}`, $insert_id: id, properties: { b, i } };
        });
        const first = Date.now();
        for (;;) {
          const a = await client.json('POST', '/v1/events', { events }, p.bearer);
          attempts.push({ at: Date.now(), status: a.ok ? a.status : 0, retryAfter: a.ok && a.headers['retry-after'] !== undefined, ms: a.ms });
          if (a.ok && a.status === 200) break;
          // 503 is the contract; a 5xx or a dropped connection is retried too (and counted against the server)
          await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        }
        ackMs.push(Date.now() - first);
        for (const e of events) ackedIds.add(e.$insert_id);
        await new Promise((r) => setTimeout(r, 40));
      }
    };

    const load = startLoad([
      {
        name: 'handshake',
        concurrency: 2,
        pauseMs: 10,
        send: async (_loop, n) => {
          const a = await client.json('POST', '/v1/decide', { distinct_id: `h-${n % 20}`, person_properties: { plan: 'pro' } }, p.bearer);
          const d = (a.json as { flags?: Record<string, { reason: string }> } | null)?.flags?.beta;
          return { status: a.ok ? a.status : 0, note: d?.reason };
        },
      },
    ]);
    const clients = Array.from({ length: CLIENTS }, (_, c) => ingestClient(c));

    await new Promise((r) => setTimeout(r, 1_000));
    const downAt = Date.now();
    await proxy.down();
    await new Promise((r) => setTimeout(r, DOWN_MS));
    await proxy.up();
    const upAt = Date.now();
    await Promise.all(clients);
    await load.stop();

    const { rows: [counts] } = await direct.query<{ rows: string; ids: string }>(
      "SELECT count(*) AS rows, count(DISTINCT insert_id) AS ids FROM events WHERE project_id = $1 AND insert_id LIKE 'pr-%'",
      [p.id],
    );
    const { rows: stored } = await direct.query<{ insert_id: string }>("SELECT insert_id FROM events WHERE project_id = $1 AND insert_id LIKE 'pr-%'", [p.id]);
    const storedIds = new Set(stored.map((r) => r.insert_id));
    const lost = [...sentIds].filter((id) => !storedIds.has(id));
    const { rows: [mismatch] } = await direct.query<{ n: string }>(
      `SELECT count(*) AS n FROM persons p
        WHERE p.project_id = $1 AND p.event_count <> (
          SELECT count(*) FROM events e JOIN person_distinct_ids d ON d.project_id = e.project_id AND d.distinct_id = e.distinct_id
           WHERE e.project_id = $1 AND d.person_id = p.id)`,
      [p.id],
    );

    const during = attempts.filter((a) => a.at >= downAt && a.at < upAt + 1_000);
    const failures = attempts.filter((a) => a.status !== 200);
    const firstOkAfterUp = attempts.find((a) => a.at >= upAt && a.status === 200);
    const handshakesDown = load.between('handshake', downAt, upAt);
    const figures = {
      down_ms: upAt - downAt,
      retry_pause_ms: RETRY_PAUSE_MS,
      events_sent: sentIds.size,
      events_acknowledged: ackedIds.size,
      events_lost: lost.length,
      duplicates_stored: Number(counts.rows) - Number(counts.ids),
      persons_with_wrong_event_count: Number(mismatch.n),
      ingest_attempts: attempts.length,
      ingest_answers_while_down: statusCounts(during.map((a) => ({ ...a, lane: 'ingest' }))),
      ingest_failures_without_retry_after: failures.filter((a) => a.status === 503 && !a.retryAfter).length,
      ingest_non_503_failures: failures.filter((a) => a.status !== 503).length,
      // why the server answered 500, from its log (each distinct message once)
      server_errors: [...new Set(logs.lines.filter((l) => l.msg === 'unhandled error').map((l) => (l.err as { message?: string } | undefined)?.message ?? '?'))],
      ingest_first_200_after_up_ms: firstOkAfterUp ? firstOkAfterUp.at - upAt : null,
      batch_until_acknowledged: summarize(ackMs),
      handshakes_while_down: { ...summarize(handshakesDown.map((s) => s.ms)), ok_percent: okPercent(handshakesDown), statuses: statusCounts(handshakesDown) },
    };
    await recordFigures('postgres-restarted-mid-ingest', figures);

    expect(during.length, 'ingest was attempted while PostgreSQL was down').toBeGreaterThan(0);
    expect(figures.events_lost, `lost: ${lost.slice(0, 5).join(', ')}`).toBe(0);
    expect(figures.duplicates_stored).toBe(0);
    expect(figures.persons_with_wrong_event_count).toBe(0);
    expect(figures.ingest_non_503_failures, JSON.stringify(statusCounts(failures.map((a) => ({ ...a, lane: 'ingest' }))))).toBe(0);
    expect(figures.ingest_failures_without_retry_after).toBe(0);
    expect(figures.handshakes_while_down.ok_percent).toBe(100);
  }, 60_000);
});
