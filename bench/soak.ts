/**
 * `npm run soak [-- --minutes 10]`: a soak of mixed traffic against the real server, recording
 * each minute the resident memory (RSS) of the API process and of a refresher process, and the
 * latency (p50/p99) and errors of every kind of request, to show both stay flat (issue 14).
 *
 * Seeds the benchmark world (bench/seed.ts: 10,000 persons, 20 cohorts, 65 definitions) into
 * its own database `switchboard_bench_soak` and Redis prefix `soak:` (both reset at start),
 * turns the project to the enterprise tier (30 s refreshes, event-driven recompute) with four
 * dynamic cohorts, then starts `src/main.ts serve` (RUN_WORKER=false) and `src/main.ts worker`
 * as child processes and drives them at fixed rates (open loop, at most 64 requests in flight
 * per kind; requests that would exceed it are counted as shed):
 *   handshakes 100/s, event batches 20/s (10 events each), People API updates 5/s,
 *   aliases 1/s, one refresh-now every 15 s, plus the refresher's own schedule.
 * Writes bench/results/soak-<date>.json (--out to change). Not part of `npm test`.
 * A request that fails because the server closed an idle kept-alive socket as it was reused
 * is sent once more (counted in keepalive_retries_total). Options: --minutes n (10), --keep
 * (leave the database and keys), --out file.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createRedis, waitForRedis } from '../src/adapters/redis/client.js';
import { composeAll } from '../src/composition.js';
import { machine } from './machine.js';
import { benchConfig, deletePrefix, dropDatabase, resetDatabase, seed } from './seed.js';
import { ROOT, startSwitchboard } from './servers.js';

const { values: opt } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, keep: { type: 'boolean', default: false }, out: { type: 'string' } } });
const MINUTES = Math.max(1, Number(opt.minutes));
const RATES = { handshake: 100, ingest: 20, engage: 5, alias: 1 } as const; // per second
const REFRESH_EVERY_MS = 15_000;
const MAX_IN_FLIGHT = 64;

const dbUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard');
dbUrl.pathname = '/switchboard_bench_soak';
const env = { databaseUrl: dbUrl.toString(), redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', prefix: 'soak:' };
const serverEnv = { DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix };
const ADMIN_KEY = `sba_soak_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

const redis = createRedis({ url: env.redisUrl, commandTimeoutMs: 30_000 });
await waitForRedis(redis, 3_000);
console.log('soak: seeding switchboard_bench_soak and soak: ...');
await resetDatabase(env.databaseUrl);
await deletePrefix(redis, env.prefix);
const world = await seed(env);
{
  const c = composeAll(benchConfig(env));
  await c.projects.ensureInitKey(ADMIN_KEY);
  // The seeded static cohorts have no stored list: keep the refresher off them (as after a static edit).
  await c.pool.query("UPDATE cohorts SET next_run_at = '9999-01-01' WHERE project_id = $1 AND kind = 'static'", [world.projectId]);
  await c.close();
}

const server = await startSwitchboard(serverEnv);
const worker = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'worker'], { cwd: ROOT, env: { ...process.env, ...serverEnv, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
let workerErr = '';
worker.stderr!.on('data', (d: Buffer) => (workerErr = (workerErr + d.toString()).slice(-4_000)));

// --- a keep-alive client ------------------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
/** Resends after the server closed an idle kept-alive socket just as it was reused (node's documented race). */
let keepAliveRetries = 0;
function request(method: string, p: string, body: unknown, auth: string, retry = true): Promise<{ status: number | string; ms: number }> {
  const started = performance.now();
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, method, path: p, agent, timeout: 30_000, headers: { Authorization: `Bearer ${auth}`, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (retry && req.reusedSocket && err.code === 'ECONNRESET') {
        keepAliveRetries++;
        void request(method, p, body, auth, false).then(resolve);
        return;
      }
      resolve({ status: err.code ?? 'error', ms: performance.now() - started });
    });
    req.end(data);
  });
}
const admin = (method: string, p: string, body?: unknown) => request(method, `/v1/projects/${world.projectId}${p}`, body, ADMIN_KEY);

const patched = await admin('PATCH', '', { tier: 'enterprise' });
const dynamic = [
  { key: 'soak-pro', name: 'Pro plan', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'pro' } },
  { key: 'soak-dach', name: 'DACH', definition: { type: 'person', key: 'country', operator: 'in', value: ['DE', 'AT', 'CH'] } },
  { key: 'soak-buyers', name: 'Buyers', definition: { type: 'behavioral', event: 'soak_purchase', count: { op: 'gte', value: 2 }, window: { last: '1d' } } },
  { key: 'soak-pro-buyers', name: 'Pro buyers', definition: { type: 'AND', values: [{ type: 'cohort', key: 'soak-pro', operator: 'in' }, { type: 'cohort', key: 'soak-buyers', operator: 'in' }] } },
];
for (const d of dynamic) {
  const r = await admin('POST', '/cohorts', { ...d, kind: 'dynamic' });
  if (r.status !== 201) throw new Error(`creating cohort ${d.key}: ${r.status}`);
}
if (patched.status !== 200) throw new Error(`PATCH project tier: ${patched.status}`);

// --- the load --------------------------------------------------------------------------------
type LaneName = keyof typeof RATES | 'refresh';
interface Bucket { sent: number; ok: number; errors: Record<string, number>; shed: number; ms: number[] }
const empty = (): Bucket => ({ sent: 0, ok: 0, errors: {}, shed: 0, ms: [] });
const fresh = (): Record<LaneName, Bucket> => ({ handshake: empty(), ingest: empty(), engage: empty(), alias: empty(), refresh: empty() });
let bucket = fresh();
const inFlight: Record<string, number> = {};
const ids = world.distinctIds;
const pick = () => ids[Math.floor(Math.random() * ids.length)];
let n = 0;

const send: Record<LaneName, () => Promise<{ status: number | string; ms: number }>> = {
  handshake: () => request('POST', '/v1/decide', { distinct_id: pick() }, world.token),
  ingest: () => {
    const events = Array.from({ length: 10 }, (_, i) => ({ event: i % 4 === 0 ? 'soak_purchase' : 'pageview', distinct_id: pick(), $insert_id: `soak-${n}-${i}`, properties: { i, path: `/p/${i}` } }));
    n++;
    return request('POST', '/v1/events', { events }, world.token);
  },
  engage: () => request('POST', '/v1/engage', { distinct_id: pick(), $set: { last_seen_page: `/p/${n % 50}` }, $add: { visits: 1 } }, world.token),
  alias: () => {
    const k = n++;
    return request('POST', '/v1/alias', { distinct_id: `soak-user-${k}`, alias: `soak-anon-${k}` }, world.token);
  },
  refresh: () => admin('POST', `/cohorts/${dynamic[n++ % dynamic.length].key}/refresh`),
};

function fire(lane: LaneName) {
  const b = bucket;
  if ((inFlight[lane] ?? 0) >= MAX_IN_FLIGHT) {
    b[lane].shed++;
    return;
  }
  inFlight[lane] = (inFlight[lane] ?? 0) + 1;
  b[lane].sent++;
  void send[lane]().then((r) => {
    inFlight[lane]--;
    // a 409 on refresh-now: the refresher holds the cohort right now (expected)
    if (typeof r.status === 'number' && r.status >= 200 && r.status < 300) b[lane].ok++;
    else b[lane].errors[r.status] = (b[lane].errors[r.status] ?? 0) + 1;
    b[lane].ms.push(r.ms);
  });
}

/** Fires `lane` `perSecond` times a second on a fixed schedule (no drift). */
function schedule(lane: LaneName, everyMs: number): () => void {
  const t0 = performance.now();
  let k = 0;
  let timer: NodeJS.Timeout;
  const tick = () => {
    while (performance.now() - t0 >= k * everyMs) {
      k++;
      fire(lane);
    }
    timer = setTimeout(tick, Math.max(1, t0 + k * everyMs - performance.now()));
  };
  tick();
  return () => clearTimeout(timer);
}

const rssMb = (pid: number | undefined) => {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Math.round(kb / 102.4) / 10;
  } catch {
    return null;
  }
};
const pct = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] * 10) / 10;
};

const m = await machine(redis, env.databaseUrl);
const db = new pg.Client({ connectionString: env.databaseUrl });
await db.connect();
console.log(`soak: ${MINUTES} min against pid ${server.proc.pid} (API) and ${worker.pid} (refresher); load ${JSON.stringify(RATES)} per s, refresh-now every ${REFRESH_EVERY_MS / 1000} s; loadavg ${m.loadavg_1m_at_start}`);
const stops = [
  ...(Object.keys(RATES) as Array<keyof typeof RATES>).map((lane) => schedule(lane, 1_000 / RATES[lane])),
  schedule('refresh', REFRESH_EVERY_MS),
];
const minutes: unknown[] = [];
const startedAt = Date.now();
const baseline = { server_rss_mb: rssMb(server.proc.pid), worker_rss_mb: rssMb(worker.pid) };
for (let minute = 1; minute <= MINUTES; minute++) {
  await new Promise((r) => setTimeout(r, startedAt + minute * 60_000 - Date.now()));
  const b = bucket;
  bucket = fresh();
  const lanes = Object.fromEntries(Object.entries(b).map(([lane, x]) => [lane, { sent: x.sent, ok: x.ok, errors: x.errors, shed: x.shed, p50_ms: pct(x.ms, 50), p99_ms: pct(x.ms, 99), max_ms: pct(x.ms, 100) }]));
  const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM cohort_calculations WHERE finished_at > now() - interval '1 minute'").catch(() => ({ rows: [{ n: '-1' }] }));
  const row = { minute, keepalive_retries_total: keepAliveRetries, server_rss_mb: rssMb(server.proc.pid), worker_rss_mb: rssMb(worker.pid), loadavg_1m: Math.round(os.loadavg()[0] * 100) / 100, refreshes_finished: Number(rows[0].n), lanes };
  minutes.push(row);
  const h = lanes.handshake;
  console.log(`soak: minute ${minute}: API RSS ${row.server_rss_mb} MB, refresher RSS ${row.worker_rss_mb} MB, handshake p50 ${h.p50_ms} p99 ${h.p99_ms} ms (${h.ok}/${h.sent} ok), ingest p99 ${lanes.ingest.p99_ms} ms, refreshes ${row.refreshes_finished}, load ${row.loadavg_1m}`);
}
for (const stop of stops) stop();
await new Promise((r) => setTimeout(r, 2_000));

const rows = minutes as Array<{ server_rss_mb: number; worker_rss_mb: number; lanes: Record<string, { p99_ms: number; sent: number; ok: number; errors: Record<string, number> }> }>;
const first = rows[0];
const last = rows[rows.length - 1];
const summary = {
  server_rss_mb: { baseline: baseline.server_rss_mb, first_minute: first.server_rss_mb, last_minute: last.server_rss_mb, max: Math.max(...rows.map((r) => r.server_rss_mb)) },
  worker_rss_mb: { baseline: baseline.worker_rss_mb, first_minute: first.worker_rss_mb, last_minute: last.worker_rss_mb, max: Math.max(...rows.map((r) => r.worker_rss_mb)) },
  handshake_p99_ms: { first_minute: first.lanes.handshake.p99_ms, last_minute: last.lanes.handshake.p99_ms, max: Math.max(...rows.map((r) => r.lanes.handshake.p99_ms)) },
  ingest_p99_ms: { first_minute: first.lanes.ingest.p99_ms, last_minute: last.lanes.ingest.p99_ms },
  requests: rows.reduce((s, r) => s + Object.values(r.lanes).reduce((a, l) => a + l.sent, 0), 0),
  // answered with a non-2xx or not at all (a request still in flight when its minute closed counts in neither)
  failed: rows.reduce((s, r) => s + Object.values(r.lanes).reduce((a, l) => a + Object.values(l.errors).reduce((x, y) => x + y, 0), 0), 0),
};
const out = opt.out ?? path.join(ROOT, 'bench', 'results', `soak-${new Date().toISOString().slice(0, 10)}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ bench: 'soak', date: new Date().toISOString(), machine: m, minutes: MINUTES, rates_per_s: RATES, refresh_every_ms: REFRESH_EVERY_MS, seeded: world.counts, summary, per_minute: minutes }, null, 2)}\n`);
console.log(`soak: ${JSON.stringify(summary)}\nsoak: wrote ${path.relative(ROOT, out)}`);

await db.end();
await server.stop();
worker.kill('SIGTERM');
await new Promise((r) => worker.once('exit', r));
if (worker.exitCode !== 0 && workerErr) console.error(`[worker] ${workerErr}`);
agent.destroy();
if (!opt.keep) {
  await deletePrefix(redis, env.prefix);
  await dropDatabase(env.databaseUrl);
}
redis.disconnect();
