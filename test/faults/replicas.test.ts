/**
 * Two API replicas and two refreshers at once (PRODUCT.md 3, 13, 17): two compositions over
 * one database and one Redis prefix, each serving real HTTP and each running its refresher,
 * while every cohort is made due again and again and admins ask both replicas to refresh now.
 * - No cohort is ever computed twice at the same time: per cohort, the intervals of its
 *   calculation history never overlap.
 * - Rate limits are shared: together the replicas let through at most one limit's worth per
 *   second per token (this needs a limiter in Redis; the per-process one lets each replica
 *   pass a full limit, so it fails until then).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { composeAll } from '../../src/composition.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { recordFigures } from '../helpers/fault-figures.js';
import { createHttpClient, type HttpClient } from '../helpers/http-client.js';
import { listen, type RunningServer } from '../helpers/http-server.js';

const RATE_LIMIT_PER_S = 5;
const BURST_S = 4;
const COHORTS = 8;

let a: TestContext;
let b: ReturnType<typeof composeAll>;
let servers: RunningServer[] = [];
let clients: HttpClient[] = [];
let p: { id: number; token: string; bearer: { Authorization: string } };

beforeAll(async () => {
  const env = { RATE_LIMIT_PER_S: String(RATE_LIMIT_PER_S), RUN_WORKER: 'false' };
  a = await createTestContext(env);
  b = composeAll(loadConfig({
    DATABASE_URL: a.config.DATABASE_URL, REDIS_URL: a.config.REDIS_URL, REDIS_PREFIX: a.config.REDIS_PREFIX,
    LOG_LEVEL: 'silent', PG_POOL_MAX: '5', REDIS_TIMEOUT_MS: '2000', ...env,
  }));
  await b.start();
  p = await a.newProject('replicas', 'enterprise');
  await a.pool.query(
    `INSERT INTO persons (project_id, bucketing_key, properties)
     SELECT $1, 'r-' || g, jsonb_build_object('n', g % 100) FROM generate_series(1, 30000) g`,
    [p.id],
  );
  for (let i = 0; i < COHORTS; i++) {
    const res = await a.http.post(`/v1/projects/${p.id}/cohorts`).set(a.admin).send({ key: `c${i}`, name: `C${i}`, kind: 'dynamic', definition: { type: 'person', key: 'n', operator: 'lt', value: 10 * (i + 1) } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  servers = [await listen(a.app), await listen(b.app)];
  clients = servers.map((s) => createHttpClient(s.url, { maxSockets: 8 }));
}, 120_000);

afterAll(async () => {
  await a.refresher.stop();
  await b.refresher.stop();
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
  await b.close();
  await a.cleanup();
});

describe('two API replicas and two refreshers', () => {
  it('never computes a cohort twice at the same time', async () => {
    a.refresher.start();
    b.refresher.start();
    let busy = 0;
    let refreshedNow = 0;
    const until = Date.now() + 8_000;
    const admins = [0, 1].map(async (r) => {
      for (let n = 0; Date.now() < until; n++) {
        const res = await clients[r].json('POST', `/v1/projects/${p.id}/cohorts/c${(n * 3 + r) % COHORTS}/refresh`, undefined, { Authorization: a.admin.Authorization });
        if (res.ok && res.status === 409) busy++;
        else if (res.ok && res.status === 200) refreshedNow++;
        await new Promise((x) => setTimeout(x, 50));
      }
    });
    const due = (async () => {
      while (Date.now() < until) {
        await a.pool.query('UPDATE cohorts SET next_run_at = now() WHERE project_id = $1', [p.id]);
        await new Promise((x) => setTimeout(x, 300));
      }
    })();
    await Promise.all([...admins, due]);
    await a.refresher.stop();
    await b.refresher.stop();

    const { rows } = await a.pool.query<{ cohort_id: string; worker: string; started_at: Date; finished_at: Date | null; error_code: string | null }>(
      'SELECT cohort_id, worker, started_at, finished_at, error_code FROM cohort_calculations WHERE project_id = $1 ORDER BY cohort_id, started_at, id',
      [p.id],
    );
    const overlaps: string[] = [];
    const workers = new Map<string, number>();
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const kind = r.worker.startsWith('api:') ? 'refresh-now' : r.worker;
      workers.set(kind, (workers.get(kind) ?? 0) + 1);
      const prev = rows[i - 1];
      if (prev && prev.cohort_id === r.cohort_id && (prev.finished_at === null || prev.finished_at > r.started_at)) {
        overlaps.push(`cohort ${r.cohort_id}: ${prev.worker} ${prev.started_at.toISOString()}..${prev.finished_at?.toISOString()} overlaps ${r.worker} from ${r.started_at.toISOString()}`);
      }
    }
    await recordFigures('two-replicas-two-refreshers', {
      cohorts: COHORTS,
      calculations: rows.length,
      by_worker: Object.fromEntries(workers),
      failed_calculations: rows.filter((r) => r.error_code !== null).length,
      refresh_now_ok: refreshedNow,
      refresh_now_busy_409: busy,
      overlapping_calculations: overlaps.length,
    });
    expect(overlaps).toEqual([]);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    // both refreshers (not only the refresh-now calls) took part
    expect([...workers.keys()].filter((k) => k !== 'refresh-now').length).toBe(2);
  }, 60_000);

  /**
   * For BURST_S seconds, 16 requests in flight on each replica, as fast as they are answered.
   * A shared limit lets through at most LIMIT a second plus one window's worth at the edges,
   * LIMIT x (BURST_S + 1); a per-process limiter lets each replica pass its own, about
   * 2 x LIMIT x BURST_S.
   */
  const burst = async (path: string, body: (n: number) => unknown) => {
    let sent = 0;
    const started = Date.now();
    const until = started + BURST_S * 1_000;
    const counts = [{ ok: 0, limited: 0, other: 0 }, { ok: 0, limited: 0, other: 0 }];
    await Promise.all(
      [0, 1].flatMap((r) =>
        Array.from({ length: 16 }, async () => {
          while (Date.now() < until) {
            const n = sent++;
            const res = await clients[r].json('POST', path, body(n), p.bearer);
            if (res.ok && res.status === 200) counts[r].ok++;
            else if (res.ok && res.status === 429) counts[r].limited++;
            else counts[r].other++;
          }
        }),
      ),
    );
    const elapsedS = (Date.now() - started) / 1_000;
    const bound = RATE_LIMIT_PER_S * (Math.ceil(elapsedS) + 1);
    return { requests: sent, counts, elapsed_s: elapsedS, offered_per_s: Math.round(sent / elapsedS), allowed: counts[0].ok + counts[1].ok, bound };
  };

  it('shares the decide rate limit across replicas (needs the Redis limiter)', async () => {
    const r = await burst('/v1/decide', (n) => ({ distinct_id: `u-${n % 50}` }));
    await recordFigures('rate-limit-shared-decide', { limit_per_s: RATE_LIMIT_PER_S, ...r });
    expect(r.offered_per_s, 'the burst must outrun the limit to test it').toBeGreaterThan(6 * RATE_LIMIT_PER_S);
    expect(r.allowed, `allowed ${JSON.stringify(r.counts)} in ${r.elapsed_s} s`).toBeLessThanOrEqual(r.bound);
  }, 30_000);

  it('shares the events rate limit across replicas (needs the Redis limiter)', async () => {
    const r = await burst('/v1/events', (n) => ({ event: 'rl', distinct_id: `u-${n % 50}` }));
    await recordFigures('rate-limit-shared-events', { limit_per_s: RATE_LIMIT_PER_S, ...r });
    expect(r.offered_per_s, 'the burst must outrun the limit to test it').toBeGreaterThan(6 * RATE_LIMIT_PER_S);
    expect(r.allowed, `allowed ${JSON.stringify(r.counts)} in ${r.elapsed_s} s`).toBeLessThanOrEqual(r.bound);
  }, 30_000);
});
