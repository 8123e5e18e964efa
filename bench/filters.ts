/**
 * `npm run bench:filters` (issue 21): materialization time of each lifecycle, sequence,
 * aggregate and calendar-window filter on the UCI Online Retail data (CC BY 4.0, Chen 2015,
 * doi:10.24432/C5BW33) scaled ×20 by default: every customer repeated as `<id>-<k>` for k in
 * 1..scale with all their invoice lines (406,829 × 20 = 8.1M events, 87,440 persons). The
 * 1M-person / 10M-event generator of bench/cohorts.ts has no lifecycle structure (90 days of
 * uniform traffic), so this runs on the real shop's year instead.
 *
 * Builds its own database (`switchboard_bench_filters`, dropped and recreated; the name must
 * contain `bench`): the raw CSV is loaded into an UNLOGGED staging table, then copied with
 * INSERT … SELECT (mapping of src/import/uci-online-retail.ts: purchase / refund, time read
 * as UTC, line fields as properties). Each cohort is created and refreshed through the real
 * services (compile, query, Redis write, switch) at now = 2011-12-09T12:51:00Z; its query's
 * EXPLAIN (ANALYZE, BUFFERS) is kept in bench/results/filters-<date>-x<scale>.json.
 *
 *   npm run bench:filters -- [--scale 20] [--keep] [--reuse]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { pino } from 'pino';
import { compileCohort } from '../src/cohorts/compiler.js';
import { composeAll } from '../src/composition.js';
import { loadConfig } from '../src/config.js';
import { machine } from './machine.js';
import { deletePrefix, dropDatabase, resetDatabase } from './seed.js';

const { values: opt } = parseArgs({
  options: {
    scale: { type: 'string', default: '20' },
    data: { type: 'string', default: '../shared/data/uci-online-retail/online_retail.csv.gz' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
  },
});
const SCALE = Number(opt.scale);
const dbUrl = new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard_bench_filters');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const prefix = process.env.BENCH_REDIS_PREFIX ?? 'benchfilters:';
const log = (m: string) => console.log(`[bench:filters] ${m}`);
const NOW = Date.UTC(2011, 11, 9, 12, 51);
const started = new Date();

// --- data -------------------------------------------------------------------------------
async function load(): Promise<void> {
  await resetDatabase(dbUrl.toString());
  const c = new pg.Client({ connectionString: dbUrl.toString() });
  await c.connect();
  const t0 = Date.now();
  await c.query("INSERT INTO projects (name, tier, token) VALUES ('uci-x', 'pro', 'sbp_bench_filters_uci_token_00000000')");
  await c.query(`CREATE UNLOGGED TABLE uci_raw (n bigint, invoice_no text, stock_code text, description text, quantity integer,
                   invoice_date timestamp, unit_price numeric, customer_id text, country text)`);
  const rows = parse(gunzipSync(readFileSync(opt.data!)), { columns: true }) as Array<Record<string, string>>;
  for (let i = 0; i < rows.length; i += 10_000) {
    const b = rows.slice(i, i + 10_000);
    await c.query(
      `INSERT INTO uci_raw SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::timestamp[], $7::numeric[], $8::text[], $9::text[])`,
      [b.map((_, j) => i + j + 1), b.map((r) => r.InvoiceNo), b.map((r) => r.StockCode), b.map((r) => r.Description), b.map((r) => Number(r.Quantity)), b.map((r) => r.InvoiceDate), b.map((r) => Number(r.UnitPrice)), b.map((r) => r.CustomerID.trim() || null), b.map((r) => r.Country)],
    );
  }
  log(`staged ${rows.length} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const pid = (await c.query<{ id: string }>('SELECT id FROM projects LIMIT 1')).rows[0].id;
  await c.query(
    `INSERT INTO persons (project_id, bucketing_key, properties)
     SELECT $1, l.customer_id || '-' || k, jsonb_build_object('country', l.country)
       FROM (SELECT DISTINCT ON (customer_id) customer_id, country FROM uci_raw WHERE customer_id IS NOT NULL AND (invoice_no ~ '^[0-9]' OR invoice_no LIKE 'C%') ORDER BY customer_id, n DESC) l
      CROSS JOIN generate_series(1, $2::int) k`,
    [pid, SCALE],
  );
  await c.query('INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) SELECT project_id, bucketing_key, id FROM persons');
  // Bulk load without the event indexes, then build them once (same definitions as migration 005).
  await c.query('DROP INDEX events_person_idx, events_name_time_idx, events_time_idx, events_properties_gin');
  await c.query(
    `INSERT INTO events (project_id, event, distinct_id, time, insert_id, properties)
     SELECT $1, CASE WHEN r.invoice_no LIKE 'C%' THEN 'refund' ELSE 'purchase' END, r.customer_id || '-' || k, r.invoice_date AT TIME ZONE 'UTC',
            'uci:' || r.n || ':' || k,
            jsonb_build_object('invoice_no', r.invoice_no, 'stock_code', r.stock_code, 'description', r.description, 'quantity', r.quantity,
                               'unit_price', r.unit_price, 'line_total', round(r.quantity * r.unit_price, 2), 'country', r.country)
       FROM uci_raw r CROSS JOIN generate_series(1, $2::int) k
      WHERE r.customer_id IS NOT NULL AND (r.invoice_no ~ '^[0-9]' OR r.invoice_no LIKE 'C%')`,
    [pid, SCALE],
  );
  await c.query('CREATE INDEX events_person_idx ON events (project_id, distinct_id, event, time)');
  await c.query('CREATE INDEX events_name_time_idx ON events (project_id, event text_pattern_ops, time)');
  await c.query('CREATE INDEX events_time_idx ON events (project_id, time)');
  await c.query('CREATE INDEX events_properties_gin ON events USING gin (properties jsonb_path_ops)');
  await c.query('DROP TABLE uci_raw');
  await c.query('VACUUM ANALYZE');
  const { rows: n } = await c.query<{ p: string; e: string }>('SELECT (SELECT count(*) FROM persons) AS p, (SELECT count(*) FROM events) AS e');
  log(`loaded ${n[0].p} persons and ${n[0].e} events in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await c.end();
}

let reuse = false;
if (opt.reuse) {
  const probe = new pg.Client({ connectionString: dbUrl.toString() });
  try {
    await probe.connect();
    const { rows } = await probe.query<{ e: string }>('SELECT count(*) AS e FROM events');
    reuse = Number(rows[0].e) === 406_829 * SCALE;
  } catch {
    reuse = false;
  }
  await probe.end().catch(() => {});
}
if (!reuse) await load();

// --- the real services -------------------------------------------------------------------
const config = loadConfig({ DATABASE_URL: dbUrl.toString(), REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', RUN_WORKER: 'false', COHORT_QUERY_TIMEOUT_MS: '600000' });
const c = composeAll(config, { logger: pino({ level: 'warn' }) });
await c.start();
const onMachine = await machine(c.redis, dbUrl.toString());
await deletePrefix(c.redis, prefix);
const project = (await c.projectStore.all())[0];
const who = { keyId: 0, actor: 'bench', projectIds: null };

const DEFINITIONS: Record<string, unknown> = {
  'first-time-30d': { type: 'first_time', event: 'purchase', window: { last: '30d' } },
  'first-time-this-month-ny': { type: 'first_time', event: 'purchase', window: { calendar: 'this_month' } },
  'stopped-60d': { type: 'stopped', event: 'purchase', baseline: { last: '365d' }, recent: { last: '60d' } },
  'restarted-summer-gap': { type: 'restarted', event: 'purchase', baseline: { from: '2011-01-01', to: '2011-05-31T23:59:59Z' }, gap: { from: '2011-06-01', to: '2011-08-31T23:59:59Z' }, recent: { last: '2m' } },
  'regularly-4-of-8-weeks': { type: 'regularly', event: 'purchase', period: 'week', periods: 8, min_periods: 4 },
  'sequence-purchase-refund-7d': { type: 'sequence', steps: [{ event: 'purchase' }, { event: 'refund' }], within: '7d' },
  'sequence-heart-then-buy-1d': { type: 'sequence', steps: [{ event: 'purchase', where: [{ key: 'stock_code', operator: 'eq', value: '85123A' }] }, { event: 'purchase' }], within: '1d', window: { last: '6m' } },
  'aggregate-sum-500-90d': { type: 'aggregate', event: 'purchase', property: 'line_total', fn: 'sum', op: 'gte', value: 500, window: { last: '90d' } },
  'behavioral-last-month': { type: 'behavioral', event: 'purchase', window: { calendar: 'last_month' } },
};

interface FilterResult {
  key: string;
  definition: unknown;
  members: number;
  /** the whole refresh: query, Redis write, switch, bookkeeping */
  ms: number;
  query_ms: number;
  explain: string;
}
const results: FilterResult[] = [];
const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 2 });
await pool.query("UPDATE projects SET time_zone = 'America/New_York'");
for (const [key, definition] of Object.entries(DEFINITIONS)) {
  const existing = await c.cohortStore.byKey(project.id, key);
  if (!existing) await c.cohortService.create(who, project, { key, name: key, kind: 'dynamic', definition });
  const cohort = await c.cohortService.get(project.id, key);
  const outcome = await c.cohorts.refreshCohort(project.id, cohort.id, { worker: 'bench', now: NOW });
  if (outcome.status !== 'ok') throw new Error(`${key}: ${JSON.stringify(outcome)}`);
  const q = compileCohort(cohort.definition!, { projectId: project.id, now: NOW, cohortRefs: await c.cohortStore.refs(project.id) }, key);
  const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.text}`, q.values);
  const explain = plan.rows.map((x) => x['QUERY PLAN']).join('\n');
  const queryMs = Number(/Execution Time: ([\d.]+) ms/.exec(explain)?.[1] ?? Number.NaN);
  const r = { key, definition, members: outcome.memberCount, ms: Math.round(outcome.durationMs), query_ms: Math.round(queryMs), explain };
  results.push(r);
  log(`${key}: ${r.members} members, refresh ${r.ms} ms (query under EXPLAIN ANALYZE ${r.query_ms} ms)`);
}

const out = path.resolve('bench/results', `filters-${started.toISOString().slice(0, 10)}-x${SCALE}.json`);
mkdirSync(path.dirname(out), { recursive: true });
const { rows: sizes } = await pool.query<{ p: string; e: string }>('SELECT (SELECT count(*) FROM persons) AS p, (SELECT count(*) FROM events) AS e');
writeFileSync(out, `${JSON.stringify({ date: started.toISOString(), machine: onMachine, scale: SCALE, now: new Date(NOW).toISOString(), time_zone: 'America/New_York', sizes: { persons: Number(sizes[0].p), events: Number(sizes[0].e) }, filters: results }, null, 2)}\n`);
log(`results: ${path.relative(process.cwd(), out)}`);

await pool.end();
if (!opt.keep) await deletePrefix(c.redis, prefix);
await c.close();
if (!opt.keep && !opt.reuse) await dropDatabase(dbUrl.toString());
