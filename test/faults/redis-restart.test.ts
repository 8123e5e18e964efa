/**
 * Fault: Redis killed, then restarted empty (PRODUCT.md 12), under a steady handshake and
 * ingest load over real HTTP. Measures the share of handshakes answered 200 (target 100 %)
 * and their p99 while Redis is gone, what ingestion answers meanwhile, and how long after the
 * restart decisions read real membership again. Correctness of the gap (never "not a member")
 * is test/integration/membership-loss.test.ts; this file records the figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { recordFigures } from '../helpers/fault-figures.js';
import { createHttpClient, type HttpClient } from '../helpers/http-client.js';
import { listen, type RunningServer } from '../helpers/http-server.js';
import { summarize } from '../helpers/latency.js';
import { startRedisProcess } from '../helpers/redis-process.js';
import { okPercent, startLoad, statusCounts } from '../helpers/steady-load.js';

const REDIS_TIMEOUT_MS = 250;
const OUTAGE_MS = 2_000;

let redis: Awaited<ReturnType<typeof startRedisProcess>>;
let t: TestContext;
let server: RunningServer;
let client: HttpClient;
let p: { id: number; token: string; bearer: { Authorization: string } };

beforeAll(async () => {
  redis = await startRedisProcess();
  t = await createTestContext({ REDIS_URL: redis.url, RUN_WORKER: 'true', REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS), RATE_LIMIT_PER_S: '1000000' });
  p = await t.newProject('redis-restart');
  const admin = (path: string) => `/v1/projects/${p.id}${path}`;
  const ok = (res: { status: number; body: unknown }) => expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'pins', name: 'Pins', kind: 'static' }));
  ok(await t.http.post(admin('/cohorts/pins/members')).set(t.admin).send({ distinct_ids: ['agent-1'] }));
  ok(await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'hans', $set: { country: 'DE' } }));
  ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'de', name: 'Germany', kind: 'dynamic', definition: { type: 'person', key: 'country', operator: 'eq', value: 'DE' } }));
  // The in-process refresher materializes it (a refresh-now could meet it busy).
  for (let i = 0; i < 300; i++) {
    const c = await t.http.get(admin('/cohorts/de')).set(t.admin);
    if (c.body.state === 'active') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const [key, cohort] of [['tools', 'pins'], ['de', 'de']]) {
    ok(await t.http.post(admin('/flags')).set(t.admin).send({ key, enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'in', cohorts: { any: [cohort] }, serve: { variant: 'on' } }] }));
  }
  server = await listen(t.app);
  client = createHttpClient(server.url, { maxSockets: 8, timeoutMs: 10_000 });
});
afterAll(async () => {
  client?.close();
  await server?.close();
  await t?.cleanup();
  await redis?.stop();
});

describe('fault: Redis killed, then restarted empty', () => {
  it('answers every handshake 200 while Redis is gone and reads real membership again soon after', async () => {
    const who = [['agent-1', 'tools'], ['hans', 'de']] as const;
    const load = startLoad([
      {
        name: 'handshake',
        concurrency: 4,
        pauseMs: 5,
        send: async (loop, n) => {
          const [id, flag] = who[(loop + n) % 2];
          const a = await client.json('POST', '/v1/decide', { distinct_id: id }, p.bearer);
          const d = (a.json as { flags?: Record<string, { value: unknown; reason: string }> } | null)?.flags?.[flag];
          // `member`: the rule matched on real membership; else the reason (STALE, ERROR, DEFAULT when skipped)
          const real = d?.value === true && d.reason === 'TARGETING_MATCH';
          return { status: a.ok ? a.status : 0, note: `${id}:${real ? 'member' : `${d?.reason ?? 'none'}/${String(d?.value)}`}` };
        },
      },
      {
        name: 'ingest',
        pauseMs: 20,
        send: async (_loop, n) => {
          const a = await client.json('POST', '/v1/events', { events: [{ event: 'tick', distinct_id: `u-${n % 50}`, $insert_id: `rr-${n}` }] }, p.bearer);
          return { status: a.ok ? a.status : 0 };
        },
      },
    ]);

    await new Promise((r) => setTimeout(r, 1_000));
    const killedAt = Date.now();
    await redis.kill();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await redis.restart();
    const restartedAt = Date.now();

    // Back: every handshake of both persons since some instant reads membership (two in a row each).
    let backAt = 0;
    while (Date.now() - restartedAt < 20_000 && !backAt) {
      await new Promise((r) => setTimeout(r, 50));
      const recent = load.between('handshake', restartedAt, Date.now()).slice(-8);
      if (recent.length === 8 && recent.every((s) => s.status === 200 && s.note?.endsWith(':member'))) backAt = recent[0].at;
    }
    await new Promise((r) => setTimeout(r, 500));
    await load.stop();

    const outage = load.between('handshake', killedAt, restartedAt);
    const recovery = load.between('handshake', restartedAt, backAt || Date.now());
    const all = load.between('handshake', 0, Infinity);
    const notes = (xs: typeof all) => {
      const out: Record<string, number> = {};
      for (const s of xs) out[s.note?.split(':')[1] ?? 'none'] = (out[s.note?.split(':')[1] ?? 'none'] ?? 0) + 1;
      return out;
    };
    const figures = {
      redis_timeout_ms: REDIS_TIMEOUT_MS,
      outage_ms: restartedAt - killedAt,
      handshakes_during_outage: { ...summarize(outage.map((s) => s.ms)), ok_percent: okPercent(outage), statuses: statusCounts(outage), answers: notes(outage) },
      handshakes_until_membership_back: { ...summarize(recovery.map((s) => s.ms)), ok_percent: okPercent(recovery), answers: notes(recovery) },
      membership_back_after_restart_ms: backAt ? backAt - restartedAt : null,
      handshakes_whole_run: { ...summarize(all.map((s) => s.ms)), ok_percent: okPercent(all) },
      ingest_during_outage: statusCounts(load.between('ingest', killedAt, restartedAt)),
      ingest_after_restart: statusCounts(load.between('ingest', restartedAt, Infinity)),
    };
    await recordFigures('redis-restarted-empty', figures);

    expect(outage.length, 'handshakes were sent during the outage').toBeGreaterThan(20);
    expect(figures.handshakes_whole_run.ok_percent).toBe(100);
    expect(backAt, 'membership never came back').toBeGreaterThan(0);
    expect(figures.membership_back_after_restart_ms).toBeLessThan(15_000);
  }, 60_000);
});
