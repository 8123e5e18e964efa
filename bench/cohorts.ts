/**
 * `npm run bench:cohorts` (issue 16): cohort materialization at scale. Builds its own database
 * (`switchboard_bench_cohorts`, dropped and recreated; the name must contain `bench`) with the
 * deterministic generator of bench/cohorts-data.ts — 1,000,000 persons, 1.2M distinct ids,
 * 10,000,000 events over 90 days by default — then, through the real services (cohort
 * service, refresh, recompute), measures:
 * - a property cohort (`country = US`, ~29 % of persons), a behavioural one ("purchase at
 *   least 3 times in the last 30 days"), a nested one (behavioural AND NOT property);
 * - an event-driven update for one person (recompute of every cohort for that person), p50/p99
 *   over 200 persons;
 * - Redis bytes per membership of each materialized version (MEMORY USAGE);
 * - each query's EXPLAIN (ANALYZE, BUFFERS), kept in the results file.
 * Writes bench/results/cohorts-<date>[-<events>].json with date, commit and machine.
 *
 *   npm run bench:cohorts -- [--persons 1000000] [--events 10000000] [--keep] [--reuse]
 *
 * `--reuse` skips generation when the database already holds the same sizes; `--keep` leaves
 * the database and Redis keys. Targets (issue 16): every cohort < 2 s at 10M events, nested ≈
 * the sum of its parts, behavioural < 10 s at 30M events, event-driven update p99 < 1 s,
 * ≤ 4 bytes of Redis per membership with Redis's default settings.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { compileCohort } from '../src/cohorts/compiler.js';
import { composeAll } from '../src/composition.js';
import { loadConfig } from '../src/config.js';
import { generate } from './cohorts-data.js';
import { machine } from './machine.js';
import { deletePrefix, dropDatabase, resetDatabase } from './seed.js';

const { values: opt } = parseArgs({
  options: {
    persons: { type: 'string', default: '1000000' },
    events: { type: 'string', default: '10000000' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
    'generate-only': { type: 'boolean', default: false },
  },
});
const PERSONS = Number(opt.persons);
const EVENTS = Number(opt.events);
const dbUrl = new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard_bench_cohorts');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const prefix = process.env.BENCH_REDIS_PREFIX ?? 'benchcohorts:';
const log = (m: string) => console.log(`[bench:cohorts] ${m}`);

const started = new Date();
const now = Date.UTC(started.getUTCFullYear(), started.getUTCMonth(), started.getUTCDate());

// --- data -------------------------------------------------------------------------------
const probe = new pg.Client({ connectionString: dbUrl.toString() });
let reuse = false;
if (opt.reuse) {
  try {
    await probe.connect();
    const { rows } = await probe.query<{ p: string; e: string }>('SELECT (SELECT count(*) FROM persons) AS p, (SELECT count(*) FROM events) AS e');
    reuse = Number(rows[0].p) === PERSONS && Number(rows[0].e) === EVENTS;
    await probe.end();
  } catch {
    reuse = false;
  }
}
if (!reuse) {
  log(`generating ${PERSONS} persons and ${EVENTS} events into ${dbUrl.pathname.slice(1)}`);
  await resetDatabase(dbUrl.toString());
  const c = new pg.Client({ connectionString: dbUrl.toString() });
  await c.connect();
  await c.query("INSERT INTO projects (name, tier, token) VALUES ('scale', 'pro', 'sbp_bench_cohorts_scale_token_000000')");
  const { rows } = await c.query<{ id: string }>('SELECT id FROM projects LIMIT 1');
  await generate(c, Number(rows[0].id), { persons: PERSONS, events: EVENTS, now }, log);
  await c.end();
}
if (opt['generate-only']) {
  log('generated; --generate-only: no measurement');
  process.exit(0);
}

// --- the real services -------------------------------------------------------------------
const config = loadConfig({ DATABASE_URL: dbUrl.toString(), REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', RUN_WORKER: 'false', COHORT_QUERY_TIMEOUT_MS: '600000' });
const c = composeAll(config, { logger: pino({ level: 'warn' }) });
await c.start();
const onMachine = await machine(c.redis, dbUrl.toString());
await deletePrefix(c.redis, prefix);
const project = (await c.projectStore.all())[0];
// A reused database may hold the cohorts of an earlier run: start from none.
if (reuse) await c.pool.query('DELETE FROM cohorts WHERE project_id = $1', [project.id]);
const who = { keyId: 0, actor: 'bench', projectIds: null };

const property = { type: 'person', key: 'country', operator: 'eq', value: 'US' };
const behavioural = { type: 'behavioral', event: 'purchase', count: { op: 'gte', value: 3 }, window: { last: '30d' } };
const cart = { type: 'behavioral', event: 'add_to_cart', window: { last: '7d' } };
const DEFINITIONS: Record<string, unknown> = {
  'property-us': property,
  'purchase-3x-30d': behavioural,
  'buyers-not-us': { type: 'AND', values: [behavioural, { ...property, negate: true }] },
  // b AND NOT a with two behavioural sets: compiled as b EXCEPT a
  'cart-7d': cart,
  'buyers-no-cart-7d': { type: 'AND', values: [{ type: 'cohort', key: 'purchase-3x-30d', operator: 'in' }, { type: 'cohort', key: 'cart-7d', operator: 'not_in' }] },
};

interface CohortResult {
  key: string;
  members: number;
  ms: number;
  /** the query and the Redis writes, overlapped (stats.redis_ms) */
  query_and_write_ms: number | null;
  /** the switch listeners: webhook diff and outbox, live channel (stats.listeners_ms) */
  listeners_ms: number | null;
  explain_ms: number;
  /** 1-minute load average when the refresh ended */
  load_1m: number;
  redis_bytes: number;
  bytes_per_membership: number;
  heap_growth_mb: number;
  rss_growth_mb: number;
  explain: string;
}
const results: CohortResult[] = [];
// EXPLAIN with the cohort query runner's work_mem, JIT and parallel settings (src/adapters/postgres/cohort-query-runner.ts).
const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 2, options: '-c work_mem=64MB -c jit=off -c parallel_setup_cost=100 -c parallel_tuple_cost=0.01' });
for (const [key, definition] of Object.entries(DEFINITIONS)) {
  await c.cohortService.create(who, project, { key, name: key, kind: 'dynamic', definition });
  const cohort = await c.cohortService.get(project.id, key);
  // The process's memory while it materializes (sampled every 10 ms): streamed, it must not grow with the cohort.
  global.gc?.();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 10);
  const outcome = await c.cohorts.refreshCohort(project.id, cohort.id, { worker: 'bench', now });
  clearInterval(sampler);
  const load = loadavg()[0];
  if (outcome.status !== 'ok') throw new Error(`${key}: ${JSON.stringify(outcome)}`);
  const bytes = await c.cohorts.stores.membership.bytes(project.id, cohort.id, outcome.version);
  const calc = await pool.query<{ stats: Record<string, number> }>('SELECT stats FROM cohort_calculations WHERE cohort_id = $1 ORDER BY id DESC LIMIT 1', [cohort.id]);
  const q = compileCohort((await c.cohortService.get(project.id, key)).definition!, { projectId: project.id, now, cohortRefs: await c.cohortStore.refs(project.id), ordered: true }, key);
  const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.text}`, q.values);
  const r = {
    key,
    members: outcome.memberCount,
    ms: Math.round(outcome.durationMs),
    query_and_write_ms: calc.rows[0]?.stats.redis_ms ?? null,
    listeners_ms: calc.rows[0]?.stats.listeners_ms ?? null,
    load_1m: Math.round(load * 100) / 100,
    explain_ms: Math.round(Number(/Execution Time: ([\d.]+) ms/.exec(plan.rows.map((x) => x['QUERY PLAN']).join('\n'))?.[1] ?? 0)),
    redis_bytes: bytes,
    bytes_per_membership: Math.round((bytes / Math.max(1, outcome.memberCount)) * 100) / 100,
    heap_growth_mb: Math.round(((peakHeap - base.heapUsed) / 1_048_576) * 10) / 10,
    rss_growth_mb: Math.round(((peakRss - base.rss) / 1_048_576) * 10) / 10,
    explain: plan.rows.map((x) => x['QUERY PLAN']).join('\n'),
  };
  results.push(r);
  log(`${key}: ${r.members} members in ${r.ms} ms (query + write ${r.query_and_write_ms} ms, listeners ${r.listeners_ms} ms; EXPLAIN ANALYZE ${r.explain_ms} ms; load ${r.load_1m}); Redis ${r.bytes_per_membership} bytes per membership; process heap +${r.heap_growth_mb} MB, rss +${r.rss_growth_mb} MB`);
}

// --- event-driven update for one person --------------------------------------------------
const sample = await pool.query<{ id: string }>('SELECT id FROM persons WHERE project_id = $1 ORDER BY id LIMIT 200 OFFSET 1000', [project.id]);
const times: number[] = [];
for (const { id } of sample.rows) {
  const t0 = performance.now();
  await c.cohorts.recomputePersons(project.id, [Number(id)]);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const pct = (p: number) => Math.round(times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)] * 10) / 10;
const eventDriven = { persons: times.length, p50_ms: pct(0.5), p99_ms: pct(0.99), max_ms: Math.round(times[times.length - 1] * 10) / 10 };
log(`event-driven update of one person: p50 ${eventDriven.p50_ms} ms, p99 ${eventDriven.p99_ms} ms`);

// --- targets -----------------------------------------------------------------------------
const by = new Map(results.map((r) => [r.key, r]));
const nested = by.get('buyers-not-us')!;
const parts = by.get('property-us')!.ms + by.get('purchase-3x-30d')!.ms;
const nestedSets = by.get('buyers-no-cart-7d')!;
const setParts = by.get('cart-7d')!.ms + by.get('purchase-3x-30d')!.ms;
const maxBytes = Math.max(...results.filter((r) => r.members > 1000).map((r) => r.bytes_per_membership));
const targets = [
  { target: 'every cohort < 2 s at 10M events', result: `${Math.max(...results.map((r) => r.ms))} ms (largest)`, pass: EVENTS === 10_000_000 ? results.every((r) => r.ms < 2000) : null },
  { target: 'nested ≈ sum of its parts (≤ 1.25 ×): behavioural AND NOT property', result: `${nested.ms} ms vs ${parts} ms`, pass: nested.ms <= parts * 1.25 },
  { target: 'nested ≈ sum of its parts (≤ 1.25 ×): cohort AND NOT cohort (b EXCEPT a)', result: `${nestedSets.ms} ms vs ${setParts} ms`, pass: nestedSets.ms <= setParts * 1.25 },
  { target: 'materialization memory bounded (streamed): process heap growth < 64 MB', result: `${Math.max(...results.map((r) => r.heap_growth_mb))} MB (largest)`, pass: results.every((r) => r.heap_growth_mb < 64) },
  { target: 'behavioural < 10 s at 30M events', result: `${by.get('purchase-3x-30d')!.ms} ms at ${EVENTS} events`, pass: EVENTS >= 30_000_000 ? by.get('purchase-3x-30d')!.ms < 10_000 : null },
  { target: 'event-driven update p99 < 1 s', result: `${eventDriven.p99_ms} ms`, pass: eventDriven.p99_ms < 1000 },
  { target: '≤ 4 bytes of Redis per membership (default settings)', result: `${maxBytes} bytes (worst cohort over 1,000 members)`, pass: maxBytes <= 4 },
];
for (const t of targets) log(`${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'MISS'} ${t.target}: ${t.result}`);

const out = path.resolve('bench/results', `cohorts-${started.toISOString().slice(0, 10)}${EVENTS === 10_000_000 ? '' : `-${EVENTS / 1e6}M`}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ date: started.toISOString(), machine: onMachine, sizes: { persons: PERSONS, events: EVENTS, distinct_ids: Math.round(PERSONS * 1.2) }, cohorts: results, event_driven: eventDriven, targets }, null, 2)}\n`);
log(`results: ${path.relative(process.cwd(), out)}`);

await pool.end();
if (!opt.keep) await deletePrefix(c.redis, prefix);
await c.close();
if (!opt.keep && !opt.reuse) await dropDatabase(dbUrl.toString());
