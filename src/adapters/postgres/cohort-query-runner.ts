import type { CohortQueryLimits, CohortQueryRunner, CohortQueryStream } from '../../ports/cohort-query-runner.js';
import type { CompiledQuery } from '../../cohorts/compiler.js';
import type { Pool } from './pool.js';

/**
 * Runs a compiled cohort query in a read-only transaction with its own statement_timeout
 * and work_mem (SET LOCAL through set_config, so nothing leaks to the pooled connection).
 * Returns the member person ids. Throws the PostgreSQL error (map with toCohortError).
 */
export function createCohortQueryRunner(pool: Pool): CohortQueryRunner {
  return async (q, limits = {}) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query("SELECT set_config('statement_timeout', $1, true), set_config('work_mem', $2, true)", [
        String(Math.max(1, Math.round(limits.timeoutMs ?? 300_000))),
        limits.workMem ?? '64MB',
      ]);
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

/** Rows per FETCH of the streamed runner: ~80 KB of ids per batch. */
export const STREAM_BATCH = 10_000;

/**
 * The streamed runner: the same read-only transaction and limits, the query behind a
 * server-side cursor (DECLARE … NO SCROLL CURSOR; FETCH STREAM_BATCH at a time). The
 * statement_timeout applies to each FETCH. Batches keep the query's order (compile with
 * `ordered` for ascending ids).
 */
export function createCohortQueryStream(pool: Pool): CohortQueryStream {
  return (q: CompiledQuery, limits: CohortQueryLimits = {}) => ({
    async *[Symbol.asyncIterator]() {
      const client = await pool.connect();
      let open = false;
      try {
        await client.query('BEGIN READ ONLY');
        open = true;
        await client.query("SELECT set_config('statement_timeout', $1, true), set_config('work_mem', $2, true)", [
          String(Math.max(1, Math.round(limits.timeoutMs ?? 300_000))),
          limits.workMem ?? '64MB',
        ]);
        await client.query({ text: `DECLARE sb_cohort NO SCROLL CURSOR FOR ${q.text}`, values: q.values });
        for (;;) {
          const { rows } = await client.query<[string]>({ text: `FETCH ${STREAM_BATCH} FROM sb_cohort`, rowMode: 'array' });
          if (rows.length === 0) break;
          const ids = new Array<number>(rows.length);
          for (let i = 0; i < rows.length; i++) ids[i] = Number(rows[i][0]);
          yield ids;
        }
        await client.query('COMMIT');
        open = false;
      } finally {
        if (open) await client.query('ROLLBACK').catch(() => {});
        client.release();
      }
    },
  });
}
