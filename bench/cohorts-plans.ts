/**
 * The plans behind `npm run bench:cohorts` (issue 16), old compiler against new: for each
 * definition, EXPLAIN (ANALYZE, BUFFERS) of the statement the previous compiler
 * (test/integration/support/legacy-compiler.ts) and the current one (src/cohorts/compiler.ts)
 * produce, on the database bench:cohorts generated (run it with `--keep` first). Prints the
 * execution times and writes both plans to bench/results/cohorts-plans-<date>.txt.
 *
 *   npx tsx bench/cohorts-plans.ts            # BENCH_DATABASE_URL, default .../switchboard_bench_cohorts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { CohortDefinition } from '../src/cohorts/cohort-definition.js';
import { compileCohort } from '../src/cohorts/compiler.js';
import * as legacy from '../test/integration/support/legacy-compiler.js';
import { DEFINITIONS } from './cohorts-definitions.js';

const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard_bench_cohorts';
// The cohort query runner's work_mem, JIT and parallel settings (src/adapters/postgres/cohort-query-runner.ts).
const pool = new pg.Pool({ connectionString: url, max: 1, options: '-c work_mem=64MB -c jit=off -c parallel_setup_cost=100 -c parallel_tuple_cost=0.01' });
const { rows } = await pool.query<{ id: string }>('SELECT id FROM projects ORDER BY id LIMIT 1');
const projectId = Number(rows[0].id);
const started = new Date();
const now = Date.UTC(started.getUTCFullYear(), started.getUTCMonth(), started.getUTCDate());

const only = process.argv.slice(2);
let out = `# cohort plans, ${started.toISOString()}, ${url.replace(/\/\/[^@]*@/, '//')}\n`;
for (const [key, def] of Object.entries(DEFINITIONS)) {
  if (only.length && !only.includes(key)) continue;
  const ctx = { projectId, now, cohortRefs: new Map() };
  for (const [label, q] of [
    ['previous', legacy.compileCohort(def as CohortDefinition, ctx)],
    ['current', compileCohort(def as CohortDefinition, { ...ctx, ordered: true })],
  ] as const) {
    const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.text}`, q.values);
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    const ms = /Execution Time: ([\d.]+) ms/.exec(text)?.[1];
    console.log(`${key} (${label}): ${ms} ms`);
    out += `\n## ${key} (${label} compiler): ${ms} ms\n${q.text}\n\n${text}\n`;
  }
}
const file = path.resolve('bench/results', `cohorts-plans-${started.toISOString().slice(0, 10)}.txt`);
writeFileSync(file, out);
console.log(`plans: ${path.relative(process.cwd(), file)}`);
await pool.end();
