import type { CohortQueryRunner } from '../../ports/cohort-query-runner.js';
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
