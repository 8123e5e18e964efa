/**
 * `npx tsx bench/impact.ts` (issue 18): `rules plan --impact` at 1,000,000 persons. Builds its
 * own database (`switchboard_bench_impact`, dropped and recreated; the name must contain
 * `bench`) with bench/cohorts-data.ts's deterministic persons (plan, country, signup_days,
 * beta; no events), two dynamic cohorts materialized by the real refresh (`us`: country =
 * US, ~29 %; `pro`: plan = pro, ~30 %), and a rules folder applied through the rules module:
 * a boolean flag on a cohort with a rollout, a multivariate flag with a split and a
 * condition, a flagd flag with `fractional`, a config on a cohort. The edited folder changes
 * all four; `planImpact` (the code of `rules plan --impact`) evaluates old and new over every
 * person. Target: < 60 s for 1,000,000 persons. Writes bench/results/impact-<date>.json with
 * the counts, timings (total, persons/s), peak RSS, commit and machine.
 *
 *   npx tsx bench/impact.ts [--persons 1000000] [--reuse] [--keep]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { applyPlan } from '../src/as-code/apply.js';
import { impactLines, planImpact } from '../src/as-code/impact.js';
import { planRules } from '../src/as-code/plan.js';
import { rulesDeps } from '../src/cli/rules.js';
import { composeAll } from '../src/composition.js';
import { loadConfig } from '../src/config.js';
import { generate } from './cohorts-data.js';
import { machine } from './machine.js';
import { deletePrefix, dropDatabase, resetDatabase } from './seed.js';

const { values: opt } = parseArgs({ options: { persons: { type: 'string', default: '1000000' }, reuse: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } });
const PERSONS = Number(opt.persons);
const dbUrl = new URL(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard_bench_impact');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const prefix = process.env.BENCH_REDIS_PREFIX ?? 'benchimpact:';
const log = (m: string) => console.log(`[bench:impact] ${m}`);
const now = Date.now();

// --- data -------------------------------------------------------------------------------
let reuse = false;
if (opt.reuse) {
  const probe = new pg.Client({ connectionString: dbUrl.toString() });
  try {
    await probe.connect();
    const { rows } = await probe.query<{ p: string }>('SELECT count(*) AS p FROM persons');
    reuse = Number(rows[0].p) === PERSONS;
  } catch {
    reuse = false;
  } finally {
    await probe.end().catch(() => {});
  }
}
if (!reuse) {
  log(`generating ${PERSONS} persons into ${dbUrl.pathname.slice(1)}`);
  await resetDatabase(dbUrl.toString());
  const c = new pg.Client({ connectionString: dbUrl.toString() });
  await c.connect();
  await c.query("INSERT INTO projects (name, tier, token) VALUES ('impact', 'pro', 'sbp_bench_impact_scale_token_0000000')");
  const { rows } = await c.query<{ id: string }>('SELECT id FROM projects LIMIT 1');
  await generate(c, Number(rows[0].id), { persons: PERSONS, events: 0, now }, log);
  await c.query('ANALYZE');
  await c.end();
}

const config = loadConfig({ DATABASE_URL: dbUrl.toString(), REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', RUN_WORKER: 'false', COHORT_QUERY_TIMEOUT_MS: '600000' });
const c = composeAll(config, { logger: pino({ level: 'warn' }) });
await c.start();
const onMachine = await machine(c.redis, dbUrl.toString());
const project = (await c.projectStore.all())[0];
const deps = rulesDeps(c);

// --- rules: a base folder, applied, and an edited copy ------------------------------------
const tmp = mkdtempSync(path.join(tmpdir(), 'sb-bench-impact-'));
const folder = (name: string, edited: boolean) => {
  const dir = path.join(tmp, name);
  const write = (rel: string, doc: unknown) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), JSON.stringify(doc, null, 2));
  };
  write('cohorts/us.json', { key: 'us', name: 'US', kind: 'dynamic', definition: { type: 'AND', values: [{ type: 'person', key: 'country', operator: 'eq', value: 'US' }] } });
  write('cohorts/pro.json', { key: 'pro', name: 'Pro plan', kind: 'dynamic', definition: { type: 'AND', values: [{ type: 'person', key: 'plan', operator: 'eq', value: 'pro' }] } });
  write('flags/us-checkout.json', { key: 'us-checkout', kind: 'boolean', enabled: true, rules: [{ id: 'us', cohorts: { any: ['us'] }, rollout: edited ? 75 : 50, serve: { variant: 'on' } }] });
  write('flags/layout.json', {
    key: 'layout',
    kind: 'multivariate',
    enabled: true,
    variants: { a: { value: 'a' }, b: { value: 'b' }, c: { value: 'c' } },
    default_variant: 'a',
    rules: [
      { id: 'beta', condition: { '==': [{ var: 'beta' }, true] }, serve: { variant: edited ? 'c' : 'b' } },
      { id: 'split', condition: { '<': [{ var: 'signup_days' }, edited ? 500 : 300] }, serve: { split: [{ variant: 'a', weight: 50 }, { variant: 'b', weight: 50 }] } },
    ],
  });
  write('flags/flagd.json', {
    flags: { 'flagd-banner': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off', targeting: { fractional: [['on', edited ? 20 : 10], ['off', edited ? 80 : 90]] } } },
  });
  write('configs/limit.json', { key: 'limit', schema: { type: 'integer' }, default: 10, rules: [{ id: 'pro', cohorts: { all: ['pro'] }, serve: { value: edited ? 30 : 20 } }] });
  return dir;
};
const basePlan = await planRules(deps, folder('base', false), project.id);
if (basePlan.set.issues.length) throw new Error(JSON.stringify(basePlan.set.issues));
await applyPlan(deps, basePlan);
for (const key of ['us', 'pro']) {
  const cohort = await c.cohortService.get(project.id, key);
  const outcome = await c.cohorts.refreshCohort(project.id, cohort.id, { worker: 'bench', now });
  if (outcome.status !== 'ok') throw new Error(`${key}: ${JSON.stringify(outcome)}`);
  log(`cohort ${key}: ${outcome.memberCount} members (refresh ${Math.round(outcome.durationMs)} ms)`);
}

// --- the measurement ----------------------------------------------------------------------
const plan = await planRules(deps, folder('edited', true), project.id);
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);
const t0 = performance.now();
const report = await planImpact(plan, { definitions: c.definitions, cohorts: c.cohortService, source: c.impactSource }, { now, sample: 5 });
const totalMs = Math.round(performance.now() - t0);
clearInterval(sampler);
for (const line of impactLines(report)) log(line);
log(`${report.persons} persons in ${totalMs} ms (${Math.round(report.persons / (totalMs / 1000))} persons/s), peak RSS ${Math.round(peakRss / 2 ** 20)} MiB`);

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
})();
const result = {
  date: new Date().toISOString(),
  commit,
  machine: onMachine,
  persons: report.persons,
  total_ms: totalMs,
  persons_per_s: Math.round(report.persons / (totalMs / 1000)),
  read_ms: report.readMs,
  decide_ms: report.decideMs,
  load_average: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100),
  peak_rss_mib: Math.round(peakRss / 2 ** 20),
  definitions: report.definitions.map((d) => ({ kind: d.kind, key: d.key, action: d.action, changed: d.changed, persons: d.persons })),
  targets: [{ target: '1,000,000 persons in < 60 s', result: `${report.persons} persons in ${(totalMs / 1000).toFixed(1)} s`, pass: report.persons >= 1_000_000 ? totalMs < 60_000 : null }],
};
mkdirSync('bench/results', { recursive: true });
const out = `bench/results/impact-${result.date.slice(0, 10)}${PERSONS === 1_000_000 ? '' : `-${PERSONS}`}.json`;
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
log(`wrote ${out}`);

await c.close();
rmSync(tmp, { recursive: true, force: true });
if (!opt.keep) {
  const redis = new (await import('ioredis')).Redis(redisUrl);
  await deletePrefix(redis, prefix);
  redis.disconnect();
  await dropDatabase(dbUrl.toString());
}
