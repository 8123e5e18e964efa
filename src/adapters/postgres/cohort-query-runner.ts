import type { CohortQueryLimits, CohortQueryRunner, CohortQueryStream } from '../../ports/cohort-query-runner.js';
import type { CompiledQuery } from '../../cohorts/compiler.js';
import pg from 'pg';
import type { Pool, PoolClient } from './pool.js';

/**
 * Runs a compiled cohort query in a read-only transaction with its own statement_timeout,
 * work_mem, no JIT and cheaper parallel plans (setLimits below; SET LOCAL through set_config, so nothing leaks to the pooled connection).
 * Returns the member person ids. Throws the PostgreSQL error (map with toCohortError).
 */
export function createCohortQueryRunner(pool: Pool): CohortQueryRunner {
  return async (q, limits = {}) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await setLimits(client, limits);
      const { rows } = await client.query<[number]>({ text: q.text, values: q.values, rowMode: 'array' });
      await client.query('COMMIT');
      const ids = new Array<number>(rows.length);
      for (let i = 0; i < rows.length; i++) ids[i] = Number(rows[i][0]);
      return ids;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  };
}

/** Ids per yielded batch of the streamed runner: ~80 KB of ids. */
export const STREAM_BATCH = 10_000;
/** Batches the streamed runner holds for a slow consumer before it pauses the socket. */
const MAX_QUEUED = 4;

/**
 * The streamed runner: the same read-only transaction and limits, the statement executed
 * ONCE as an ordinary extended-protocol query (no cursor, no row limit per Execute), its
 * rows read off the socket as they arrive and handed on in batches of STREAM_BATCH ids.
 * Why not a cursor: PostgreSQL never plans a parallel query for DECLARE CURSOR or an
 * Execute with a row limit (the query "might be suspended"), and plans a cursor for its
 * first 10 % of rows (cursor_tuple_fraction); on 10M events that doubled every cohort
 * query (issue 16, docs/performance.md). Memory stays bounded: when MAX_QUEUED batches wait
 * for the consumer, the connection's socket is paused (TCP backpressure to the server) and
 * resumed as the consumer catches up. The statement_timeout covers the whole statement.
 * Breaking out of the loop (or an error) destroys the connection, which ends the query.
 * Batches keep the query's order (compile with `ordered` for ascending ids).
 */
export function createCohortQueryStream(pool: Pool): CohortQueryStream {
  return (q: CompiledQuery, limits: CohortQueryLimits = {}) => ({
    async *[Symbol.asyncIterator]() {
      const client = await pool.connect();
      let clean = false;
      try {
        await client.query('BEGIN READ ONLY');
        await setLimits(client, limits);
        yield* rows(client, q);
        await client.query('COMMIT');
        clean = true;
      } finally {
        // A query left half read (the consumer stopped, or it failed) dies with its connection.
        client.release(clean ? undefined : true);
      }
    },
  });
}

/** The connection's socket (pg keeps it as `connection.stream`), for backpressure. */
const socketOf = (client: PoolClient): { pause(): void; resume(): void } | undefined =>
  (client as unknown as { connection?: { stream?: { pause(): void; resume(): void } } }).connection?.stream;

/** Runs `q` on `client`, yielding its first column as numbers in batches, with backpressure. */
async function* rows(client: PoolClient, q: CompiledQuery): AsyncGenerator<number[]> {
  const socket = socketOf(client);
  const queued: number[][] = [];
  let batch: number[] = [];
  let done = false;
  let failure: Error | null = null;
  let paused = false;
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  // rowMode 'array' (pg's Query accepts it; its types list it only on QueryArrayConfig).
  const config: pg.QueryArrayConfig = { text: q.text, values: q.values, rowMode: 'array' };
  const query = new pg.Query<unknown[]>(config as pg.QueryConfig);
  query.on('row', (row) => {
    batch.push(Number(row[0]));
    if (batch.length < STREAM_BATCH) return;
    queued.push(batch);
    batch = [];
    if (queued.length >= MAX_QUEUED && socket && !paused) {
      paused = true;
      socket.pause();
    }
    signal();
  });
  query.on('error', (err) => {
    failure = err;
    signal();
  });
  query.on('end', () => {
    if (batch.length) queued.push(batch);
    batch = [];
    done = true;
    signal();
  });
  client.query(query);
  try {
    for (;;) {
      if (failure) throw failure;
      if (queued.length) {
        const next = queued.shift() as number[];
        if (paused && queued.length < MAX_QUEUED / 2) {
          paused = false;
          socket?.resume();
        }
        yield next;
        continue;
      }
      if (done) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    if (paused) socket?.resume();
  }
}

/**
 * SET LOCAL (through set_config) the statement timeout, work_mem, no JIT and cheaper
 * parallelism for this transaction. Measured on 10M events (docs/performance.md, issue 16):
 * - JIT compilation cost 0.2-0.4 s per cohort statement and buys nothing for these plans
 *   (hash joins and aggregates over a few columns);
 * - with the default parallel_setup_cost (1000) and parallel_tuple_cost (0.1) the planner ran
 *   "purchase at least 3 times in 30 days" in one process (a hash join probed by all of
 *   person_distinct_ids): 5.8 s against 3.0 s for the parallel hash join it picks at 100 and
 *   0.01. A cohort query is one long statement on the refresher's own connection, the case
 *   parallel query is for.
 */
async function setLimits(client: PoolClient, limits: CohortQueryLimits): Promise<void> {
  await client.query(
    "SELECT set_config('statement_timeout', $1, true), set_config('work_mem', $2, true), set_config('jit', 'off', true), set_config('parallel_setup_cost', '100', true), set_config('parallel_tuple_cost', '0.01', true)",
    [String(Math.max(1, Math.round(limits.timeoutMs ?? 300_000))), limits.workMem ?? '64MB'],
  );
}
