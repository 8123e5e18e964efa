/**
 * `npx tsx bench/history.ts` (issue 19, docs/history.md): the cost of history.
 *
 * 1. History write cost per refresh: a dynamic cohort of 1,000,000 members (persons with
 *    `n` = 1..1,010,000, cohort `n <= 1,000,000`), materialized by the real refresh; then 3
 *    refreshes after 1 % of the members changed (5,000 leave, 5,000 enter): rows written and ms
 *    spent recording (the calculation's `history_ms`: Redis-side diff + PostgreSQL writes),
 *    next to the refresh's total. Also the cost of the history triggers on a bulk insert of
 *    persons (the same 100,000-row INSERT with the triggers on and off).
 * 2. Replay latency: a person with 1,000 property changes and 50 cohorts (each on one of the
 *    properties, refreshed 10 times along the way), 50 flags on them; 200 replays at random
 *    instants of that timeline through the HTTP API: p50 / p99 ms.
 *
 * Own database `switchboard_bench_history` (dropped and recreated; the name must contain
 * `bench`) and Redis prefix `benchhistory:`. Writes bench/results/history-<date>.json.
 *
 *   npx tsx bench/history.ts [--members 1000000] [--keep]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { composeAll } from '../src/composition.js';
import { loadConfig } from '../src/config.js';
import { machine } from './machine.js';
import { deletePrefix, dropDatabase, resetDatabase } from './seed.js';

const { values: opt } = parseArgs({ options: { members: { type: 'string', default: '1000000' }, keep: { type: 'boolean', default: false } } });
const MEMBERS = Number(opt.members);
const dbUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard_bench_history';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const prefix = 'benchhistory:';
const log = (m: string) => console.log(`[bench:history] ${m}`);
const loads: number[][] = [loadavg()];

await resetDatabase(dbUrl);
{
  // a previous run that died leaves its keys: start from none
  const redis = new (await import('ioredis')).Redis(redisUrl);
  await deletePrefix(redis, prefix);
  redis.disconnect();
}
const adminKey = `sba_bench_${Date.now()}_history_key`;
const config = loadConfig({ DATABASE_URL: dbUrl, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', RUN_WORKER: 'false', COHORT_QUERY_TIMEOUT_MS: '600000', INIT_ADMIN_KEY: adminKey, ADMIN_RATE_LIMIT_PER_S: '100000' });
const c = composeAll(config, { logger: pino({ level: 'warn' }) });
await c.start();
await c.projects.ensureInitKey(adminKey);
const onMachine = await machine(c.redis, dbUrl);
const pool = c.pool;
const who = { keyId: 0, actor: 'bench', projectIds: null };
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
};
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const round = (x: number) => Math.round(x * 10) / 10;

// --- 1. history write cost per refresh ------------------------------------------------------
const big = await c.projects.create(who, { name: 'history-big', tier: 'pro' });
const insertPersons = (projectId: number, from: number, to: number, tag: string) =>
  pool.query(
    `WITH made AS (INSERT INTO persons (project_id, bucketing_key, properties)
       SELECT $1, $4 || g, jsonb_build_object('n', g) FROM generate_series($2::int, $3::int) g RETURNING id, bucketing_key)
     INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) SELECT $1, bucketing_key, id FROM made`,
    [projectId, from, to, tag],
  );
// persons outside the cohort: three rounds of 0.5 % entering
const extra = Math.round(MEMBERS * 0.015);
log(`inserting ${MEMBERS + extra} persons`);
await insertPersons(big.id, 1, MEMBERS + extra, 'p-');
await pool.query('ANALYZE');

// trigger overhead on a bulk insert: the same 100,000 persons with the history triggers on and off
const scratch = await c.projects.create(who, { name: 'history-scratch', tier: 'pro' });
const [, withTriggersMs] = await timed(() => insertPersons(scratch.id, 1, 100_000, 'on-'));
await pool.query('ALTER TABLE persons DISABLE TRIGGER USER');
await pool.query('ALTER TABLE person_distinct_ids DISABLE TRIGGER USER');
const [, withoutTriggersMs] = await timed(() => insertPersons(scratch.id, 100_001, 200_000, 'off-'));
await pool.query('ALTER TABLE persons ENABLE TRIGGER USER');
await pool.query('ALTER TABLE person_distinct_ids ENABLE TRIGGER USER');
log(`100,000 persons inserted: ${Math.round(withTriggersMs)} ms with history triggers, ${Math.round(withoutTriggersMs)} ms without`);

const cohort = await c.stores.cohorts.insert({ projectId: big.id, key: 'big', name: 'Big', description: '', kind: 'dynamic', definition: { type: 'person', key: 'n', operator: 'lte', value: MEMBERS }, refreshIntervalS: null });
const refresh = async () => {
  const outcome = await c.cohorts.refreshCohort(big.id, cohort.id, { worker: 'bench' });
  if (outcome.status !== 'ok') throw new Error(JSON.stringify(outcome));
  const { rows } = await pool.query<{ stats: Record<string, number> }>('SELECT stats FROM cohort_calculations WHERE cohort_id = $1 ORDER BY id DESC LIMIT 1', [cohort.id]);
  return { members: outcome.memberCount, refresh_ms: Math.round(outcome.durationMs), history_ms: rows[0].stats.history_ms, entered: rows[0].stats.history_entered, left: rows[0].stats.history_left };
};
const first = await refresh();
log(`first materialization: ${JSON.stringify(first)}`);
const changes: Array<Awaited<ReturnType<typeof refresh>>> = [];
for (let round = 0; round < 3; round++) {
  // 0.5 % of the members leave (n moves out of range), 0.5 % of the others enter
  const half = Math.round(MEMBERS * 0.005);
  const leaveFrom = round * half + 1;
  await pool.query(`UPDATE persons SET properties = jsonb_build_object('n', (properties->>'n')::int + 10 * $3::int) WHERE project_id = $1 AND (properties->>'n')::int BETWEEN $2 AND $2 + $4 - 1`, [big.id, leaveFrom, MEMBERS, half]);
  await pool.query(`UPDATE persons SET properties = jsonb_build_object('n', (properties->>'n')::int - $3::int) WHERE project_id = $1 AND (properties->>'n')::int BETWEEN $3 + 1 + $2 AND $3 + $2 + $4`, [big.id, round * half, MEMBERS, half]);
  const r = await refresh();
  changes.push(r);
  log(`1 % change, round ${round + 1}: ${JSON.stringify(r)}`);
}
loads.push(loadavg());

// --- 2. replay latency ---------------------------------------------------------------------
const rp = await c.projects.create(who, { name: 'history-replay', tier: 'pro' });
const COHORTS = 50;
await insertPersons(rp.id, 1, 1000, 'r-');
const target = 'r-1';
const targetId = Number((await pool.query('SELECT person_id FROM person_distinct_ids WHERE project_id = $1 AND distinct_id = $2', [rp.id, target])).rows[0].person_id);
const cohortIds: number[] = [];
for (let i = 0; i < COHORTS; i++) {
  const k = await c.stores.cohorts.insert({ projectId: rp.id, key: `c${i}`, name: `c${i}`, description: '', kind: 'dynamic', definition: { type: 'person', key: `p${i}`, operator: 'eq', value: true }, refreshIntervalS: null });
  cohortIds.push(k.id);
}
for (let i = 0; i < COHORTS; i++) {
  await c.definitions.create('flag', rp.id, 'bench', { key: `f${i}`, enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'c', cohorts: { any: [`c${i}`] }, serve: { variant: 'on' } }] } as never);
}
const started = Date.now();
for (let change = 0; change < 1000; change++) {
  const k = change % COHORTS;
  await pool.query(`UPDATE persons SET properties = properties || jsonb_build_object($3::text, $4::boolean) WHERE project_id = $1 AND id = $2`, [rp.id, targetId, `p${k}`, Math.floor(change / COHORTS) % 2 === 0]); // every change flips a value
  if (change % 100 === 99) for (const id of cohortIds) await c.cohorts.refreshCohort(rp.id, id, { worker: 'bench' });
}
const ended = Date.now();
const server = createServer(c.app);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const latencies: number[] = [];
let seed = 7;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
for (let i = 0; i < 220; i++) {
  const at = Math.round(started + random() * (ended - started));
  const [res, ms] = await timed(() => fetch(`${base}/v1/projects/${rp.id}/persons/${target}/decisions?at=${at}`, { headers: { Authorization: `Bearer ${adminKey}` } }));
  const body = (await res.json()) as { flags?: unknown };
  if (res.status !== 200 || !body.flags) throw new Error(`replay answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  if (i >= 20) latencies.push(ms); // the first 20 warm up
}
server.close();
const historyRows = Number((await pool.query('SELECT count(*) AS n FROM person_history WHERE project_id = $1 AND person_id = $2', [rp.id, targetId])).rows[0].n);
const replay = { property_changes: 1000, person_history_rows: historyRows, cohorts: COHORTS, flags: COHORTS, requests: latencies.length, p50_ms: round(percentile(latencies, 50)), p99_ms: round(percentile(latencies, 99)), max_ms: round(Math.max(...latencies)) };
log(`replay: ${JSON.stringify(replay)}`);
loads.push(loadavg());

const result = {
  date: new Date().toISOString(),
  commit: onMachine.commit, // bench/machine.ts reads it (and whether the tree was dirty)
  machine: onMachine,
  load_average: loads.map((l) => l.map((x) => Math.round(x * 100) / 100)),
  write_cost: {
    members: MEMBERS,
    first_materialization: first,
    one_percent_change: changes,
    median_history_ms: changes.map((c) => c.history_ms).sort((a, b) => a - b)[1],
    rows_per_change: changes.map((c) => c.entered + c.left),
  },
  trigger_cost: { persons: 100_000, with_triggers_ms: Math.round(withTriggersMs), without_triggers_ms: Math.round(withoutTriggersMs) },
  replay,
};
mkdirSync('bench/results', { recursive: true });
const out = `bench/results/history-${result.date.slice(0, 10)}.json`;
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
log(`wrote ${out}`);
await c.close();
if (!opt.keep) {
  const redis = new (await import('ioredis')).Redis(redisUrl);
  await deletePrefix(redis, prefix);
  redis.disconnect();
  await dropDatabase(dbUrl);
}
