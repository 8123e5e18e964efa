/**
 * Where a cohort refresh's time goes (issue 16), on the database `npm run bench:cohorts --
 * --keep` generated: for each definition of bench:cohorts, side by side in one process,
 * - `cursor`: the statement behind DECLARE CURSOR / FETCH 10,000 (the streamed runner before
 *   issue 16's rework: no parallel plan, a fast-start plan);
 * - `stream`: the streamed runner (src/adapters/postgres/cohort-query-runner.ts), ordered and
 *   unordered (no ORDER BY person_id);
 * - `jit`: the streamed runner with JIT left on;
 * - `stream_and_write`: query and writeVersion together, as a refresh runs them (overlapped);
 * - `write_only`: the same ids written by the membership store's writeVersion alone (Redis).
 * Each measured `--rounds` times (default 3), the median printed, in milliseconds.
 *
 *   npx tsx bench/cohorts-profile.ts [--rounds 3] [--only key,key]   # BENCH_DATABASE_URL
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { CohortDefinition } from '../src/cohorts/cohort-definition.js';
import { compileCohort, type CompiledQuery } from '../src/cohorts/compiler.js';
import { createCohortQueryStream } from '../src/adapters/postgres/cohort-query-runner.js';
import { createMembershipStore } from '../src/adapters/redis/membership-store.js';
import { createKeys } from '../src/adapters/redis/keys.js';
import { DEFINITIONS } from './cohorts-definitions.js';

const { values: opt } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, only: { type: 'string', default: '' } } });
const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard_bench_cohorts';
const pool = new pg.Pool({ connectionString: url, max: 2 });
const { rows } = await pool.query<{ id: string }>('SELECT id FROM projects ORDER BY id LIMIT 1');
const projectId = Number(rows[0].id);
const started = new Date();
const now = Date.UTC(started.getUTCFullYear(), started.getUTCMonth(), started.getUTCDate());
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
const store = createMembershipStore({ redis, bulk: redis, keys: createKeys('benchprofile:') });
const stream = createCohortQueryStream(pool);
const refs = new Map();
const rounds = Number(opt.rounds);

/** The old streamed runner: a cursor, FETCH 10,000 at a time. */
async function cursor(q: CompiledQuery): Promise<number> {
  const client = await pool.connect();
  let n = 0;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query("SELECT set_config('work_mem', '64MB', true)");
    await client.query({ text: `DECLARE c NO SCROLL CURSOR FOR ${q.text}`, values: q.values });
    for (;;) {
      const r = await client.query({ text: 'FETCH 10000 FROM c', rowMode: 'array' });
      if (r.rows.length === 0) break;
      n += r.rows.length;
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return n;
}

async function streamed(q: CompiledQuery, jit = false): Promise<number> {
  let n = 0;
  if (jit) {
    // The runner turns JIT off per transaction; measure it on by running the rows through a plain client.
    const client = await pool.connect();
    try {
      await client.query("SELECT set_config('work_mem', '64MB', false)");
      const r = await client.query({ text: q.text, values: q.values, rowMode: 'array' });
      n = r.rows.length;
    } finally {
      client.release();
    }
    return n;
  }
  for await (const b of stream(q)) n += b.length;
  return n;
}

/** The refresher's shape: batches of member strings. */
async function* idsOf(q: CompiledQuery): AsyncGenerator<string[]> {
  for await (const b of stream(q)) yield b.map(String);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return Math.round(median(xs));
}

const only = opt.only ? opt.only.split(',') : [];
console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const [key, def] of Object.entries(DEFINITIONS)) {
  if (only.length && !only.includes(key)) continue;
  const ctx = { projectId, now, cohortRefs: refs };
  const ordered = compileCohort(def as CohortDefinition, { ...ctx, ordered: true });
  const unordered = compileCohort(def as CohortDefinition, ctx);
  const members = await streamed(unordered);
  const r: Record<string, number> = { members };
  r.cursor_ordered = await time(() => cursor(ordered));
  r.stream_ordered = await time(() => streamed(ordered));
  r.stream_unordered = await time(() => streamed(unordered));
  r.jit_unordered = await time(() => streamed(unordered, true));
  // Query and write overlap in the refresh; this is both together, then the write alone from an array.
  r.stream_and_write = await time(() => store.writeVersion(projectId, 1, 1, idsOf(ordered)));
  const all: string[] = [];
  for await (const b of idsOf(ordered)) all.push(...b);
  r.write_only = await time(() => store.writeVersion(projectId, 1, 1, (async function* () { yield all; })()));
  await store.dropVersion(projectId, 1, 1);
  console.log(key, JSON.stringify(r));
}
console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await pool.end();
redis.disconnect();
