/**
 * `npm run bench:horizontal` (issue 16): what a second process buys, measured side by side in
 * one run on one machine.
 *
 * 1. Refreshers: 200 dynamic cohorts (100 property, 100 behavioural; refreshed every 60 s)
 *    over a generated project (bench/cohorts-data.ts: 50,000 persons, 500,000 events by
 *    default). Every cohort is made due, then 1 (and then 2) `worker` processes refresh them
 *    all; the figure is cohorts refreshed per minute (first to last completion), with the CPU
 *    of each worker process and of the whole machine (PostgreSQL does most of the work).
 * 2. API: the handshake (`POST /v1/decide`, bench/seed.ts's project) against 1 and 2 API
 *    processes sharing one port (node:cluster, bench/cluster-server.ts); handshakes per
 *    second (autocannon, bounded in time, loopback only) and the CPU of each API process.
 * Writes bench/results/horizontal-<date>.json with date, commit and machine.
 *
 *   npm run bench:horizontal -- [--persons 50000] [--events 500000] [--duration 10] [--connections 32]
 *
 * On this 2-core machine the processes compete for the same two cores with PostgreSQL,
 * Redis and the load generator; the figures say what a second process gives on one
 * machine, and (from the CPU columns) what each added machine would carry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createRedis, waitForRedis } from '../src/adapters/redis/client.js';
import { createCohortStore } from '../src/adapters/postgres/cohort-store.js';
import { generate, COUNTRIES } from './cohorts-data.js';
import { machine, machineBusyS, processCpuS, redisCpuS } from './machine.js';
import { runLoad } from './load.js';
import { deletePrefix, dropDatabase, resetDatabase, seed } from './seed.js';
import { ROOT, startSwitchboard } from './servers.js';

const { values: opt } = parseArgs({
  options: {
    persons: { type: 'string', default: '50000' },
    events: { type: 'string', default: '500000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    keep: { type: 'boolean', default: false },
  },
});
const PERSONS = Number(opt.persons);
const EVENTS = Number(opt.events);
const DURATION = Math.min(Number(opt.duration), 30);
const CONNECTIONS = Number(opt.connections);
const COHORTS = 200;
const dbUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard_bench_horizontal';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const prefix = process.env.BENCH_REDIS_PREFIX ?? 'benchhz:';
const log = (m: string) => console.log(`[bench:horizontal] ${m}`);
const started = new Date();

/** CPU seconds of a process and all its descendants (node:cluster workers are the primary's children). */
function treeCpuS(pid: number): number {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone
    }
  }
  let total = 0;
  const walk = (p: number) => {
    try {
      total += processCpuS(p);
    } catch {
      // gone
    }
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return total;
}

/** The direct children of `pid` (the API processes of a node:cluster primary). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

// --- data: one project for the API (bench/seed.ts), one for the refreshers (generated) ----
const redis = createRedis({ url: redisUrl, commandTimeoutMs: 30_000 });
await waitForRedis(redis, 3_000);
await deletePrefix(redis, prefix);
await resetDatabase(dbUrl);
log('seeding the API project (bench/seed.ts)');
const seeded = await seed({ databaseUrl: dbUrl, redisUrl, prefix });
const onMachine = await machine(redis, dbUrl);
const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
const { rows: prow } = await pool.query<{ id: string }>("INSERT INTO projects (name, tier, token) VALUES ('refreshers', 'pro', 'sbp_bench_horizontal_refresh_token_0000') RETURNING id");
const projectId = Number(prow[0].id);
{
  const client = await pool.connect();
  try {
    await generate(client as unknown as pg.Client, projectId, { persons: PERSONS, events: EVENTS, now: Date.now() }, log);
  } finally {
    client.release();
  }
}
const cohortStore = createCohortStore(pool);
const EVENT_NAMES = ['purchase', 'page_view', 'add_to_cart', 'search', 'signup'];
for (let i = 0; i < COHORTS; i++) {
  const definition =
    i % 2 === 0
      ? i % 4 === 0
        ? { type: 'person', key: 'country', operator: 'eq', value: COUNTRIES[(i / 4) % COUNTRIES.length] }
        : { type: 'AND', values: [{ type: 'person', key: 'signup_days', operator: 'lt', value: 50 + i * 4 }, { type: 'person', key: 'plan', operator: 'in', value: ['pro', 'enterprise'] }] }
      : { type: 'behavioral', event: EVENT_NAMES[i % 5], count: { op: 'gte', value: 1 + (i % 4) }, window: { last: `${7 + (i % 8) * 10}d` } };
  await cohortStore.insert({ projectId, key: `c${i}`, name: `cohort ${i}`, description: '', kind: 'dynamic', definition: definition as never, refreshIntervalS: 60 });
}
log(`${COHORTS} cohorts created`);

// --- 1. refreshers ---------------------------------------------------------------------------
function startWorker(i: number): ChildProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'worker'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: dbUrl, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', PORT: String(19_300 + i) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr!.on('data', () => {});
  return proc;
}

interface RefresherRun {
  processes: number;
  cohorts: number;
  first_to_last_s: number;
  cohorts_per_minute: number;
  failed: number;
  worker_cpu_cores: number[];
  whole_machine_cpu_cores: number;
  /** the machine's 1-minute load average when the run started (other work skews the figures) */
  loadavg_1m: number;
}
const refresherRuns: RefresherRun[] = [];
for (const n of [1, 2]) {
  await pool.query("UPDATE cohorts SET next_run_at = now() - interval '1 second' WHERE project_id = $1", [projectId]);
  const since = new Date();
  const loadavg = round(os.loadavg()[0]);
  const machine0 = machineBusyS();
  const t0 = performance.now();
  const workers = Array.from({ length: n }, (_, i) => startWorker(i));
  const cpu0 = workers.map(() => 0);
  let done = 0;
  let failed = 0;
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const { rows } = await pool.query<{ ok: string; failed: string }>(
      `SELECT count(DISTINCT cohort_id) FILTER (WHERE error_code IS NULL) AS ok, count(*) FILTER (WHERE error_code IS NOT NULL) AS failed
         FROM cohort_calculations WHERE project_id = $1 AND started_at >= $2 AND finished_at IS NOT NULL`,
      [projectId, since],
    );
    done = Number(rows[0].ok);
    failed = Number(rows[0].failed);
    if (done >= COHORTS) break;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = workers.map((w, i) => round((processCpuS(w.pid!) - cpu0[i]) / wall));
  const machineCores = round((machineBusyS() - machine0) / wall);
  const { rows: span } = await pool.query<{ s: number }>(
    'SELECT EXTRACT(EPOCH FROM max(finished_at) - min(finished_at))::float8 AS s FROM cohort_calculations WHERE project_id = $1 AND started_at >= $2 AND finished_at IS NOT NULL',
    [projectId, since],
  );
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
  const s = Number(span[0].s);
  const run = { processes: n, cohorts: done, first_to_last_s: round(s, 1), cohorts_per_minute: Math.round((Math.max(done - 1, 1) / Math.max(s, 0.001)) * 60), failed, worker_cpu_cores: cpu, whole_machine_cpu_cores: machineCores, loadavg_1m: loadavg };
  refresherRuns.push(run);
  log(`refreshers ×${n}: ${done} cohorts in ${run.first_to_last_s} s (first to last) = ${run.cohorts_per_minute} cohorts/min; worker CPU ${cpu.join(' + ')} cores; machine ${machineCores} cores (load average ${loadavg} at start)`);
}

// --- 2. API processes ------------------------------------------------------------------------
interface ApiRun {
  processes: number;
  req_per_s: number;
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  errors: number;
  api_cpu_cores: number[];
  redis_cpu_cores: number;
  load_generator_cpu_cores: number;
  whole_machine_cpu_cores: number;
  loadavg_1m: number;
}
const apiRuns: ApiRun[] = [];
const headers = { authorization: `Bearer ${seeded.token}`, 'content-type': 'application/json' };
const bodies = seeded.distinctIds.map((d) => JSON.stringify({ distinct_id: d }));
for (const n of [1, 2]) {
  const sb = await startSwitchboard({ DATABASE_URL: dbUrl, REDIS_URL: redisUrl, REDIS_PREFIX: prefix }, { workers: n });
  const pids = childPids(sb.proc.pid!);
  const loadavg = round(os.loadavg()[0]);
  let cpu0: number[] = [];
  let r0 = 0;
  let m0 = 0;
  let self0 = process.cpuUsage();
  let t0 = 0;
  let cpu1: number[] = [];
  let r1 = 0;
  let m1 = 0;
  let self1 = process.cpuUsage();
  let t1 = 0;
  const result = await runLoad({
    name: `decide-${n}`,
    url: `http://127.0.0.1:${sb.port}/v1/decide`,
    headers,
    bodies,
    connections: CONNECTIONS,
    warmupS: 2,
    durationS: DURATION,
    around: {
      before: async () => {
        cpu0 = pids.map((p) => treeCpuS(p));
        r0 = await redisCpuS(redis);
        m0 = machineBusyS();
        self0 = process.cpuUsage();
        t0 = performance.now();
      },
      after: async () => {
        t1 = performance.now();
        cpu1 = pids.map((p) => treeCpuS(p));
        r1 = await redisCpuS(redis);
        m1 = machineBusyS();
        self1 = process.cpuUsage();
      },
    },
  });
  await sb.stop();
  const wall = (t1 - t0) / 1000;
  const run: ApiRun = {
    processes: n,
    req_per_s: result.req_per_s,
    p50_ms: result.latency_ms.p50,
    p99_ms: result.latency_ms.p99,
    non_2xx: result.non_2xx,
    errors: result.errors,
    api_cpu_cores: cpu1.map((c, i) => round((c - cpu0[i]) / wall)),
    redis_cpu_cores: round((r1 - r0) / wall),
    load_generator_cpu_cores: round((self1.user - self0.user + self1.system - self0.system) / 1e6 / wall),
    whole_machine_cpu_cores: round((m1 - m0) / wall),
    loadavg_1m: loadavg,
  };
  apiRuns.push(run);
  log(`API ×${n}: ${run.req_per_s} handshakes/s, p50 ${run.p50_ms} ms, p99 ${run.p99_ms} ms, non-2xx ${run.non_2xx}; API CPU ${run.api_cpu_cores.join(' + ')} cores, Redis ${run.redis_cpu_cores}, load generator ${run.load_generator_cpu_cores}, machine ${run.whole_machine_cpu_cores} (load average ${loadavg} at start)`);
}

const out = path.resolve('bench/results', `horizontal-${started.toISOString().slice(0, 10)}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ date: started.toISOString(), machine: onMachine, sizes: { persons: PERSONS, events: EVENTS, cohorts: COHORTS, api_persons: seeded.counts.persons, api_cohorts: seeded.counts.cohorts }, load: { connections: CONNECTIONS, duration_s: DURATION }, refreshers: refresherRuns, api: apiRuns }, null, 2)}\n`,
);
log(`results: ${path.relative(process.cwd(), out)}`);
await pool.end();
await deletePrefix(redis, prefix);
redis.disconnect();
if (!opt.keep) await dropDatabase(dbUrl);

