import type { Logger } from 'pino';
import type { Pool } from '../adapters/postgres/pool.js';
import type { RedisClient } from '../adapters/redis/client.js';
import type { Keys } from '../adapters/redis/keys.js';

export interface ArchiveCleanupOptions {
  pool: Pool;
  redis: RedisClient;
  keys: Keys;
  logger: Logger;
  /** ms an archived cohort keeps its materialization, so a quick restore is cheap (default 1 h) */
  graceMs?: number;
  /** ms between passes (default 60 s) */
  everyMs?: number;
  /** older versions than this many below the live one were already dropped by the switch */
  versionWindow?: number;
  workerId: string;
}

interface Row {
  id: number;
  project_id: number;
  version: number;
  pending_version: number | null;
}

/**
 * Drops the Redis materialization (live pointer and version sets) of cohorts archived longer
 * than the grace period. It is recorded as a `cohort_calculations` row with
 * `stats.kind = 'cleanup'` (readable in the history; it also marks the cohort as done) and
 * `member_count` set to 0; `version` is kept so a restore continues from the next number.
 * A restore within the grace period finds everything still in place.
 */
export function createArchiveCleanup(opts: ArchiveCleanupOptions) {
  const graceMs = opts.graceMs ?? 3_600_000;
  const everyMs = opts.everyMs ?? 60_000;
  const window = opts.versionWindow ?? 5;
  let lastRun = -Infinity;

  /** One pass; returns the ids of the cohorts cleaned. `nowMs` is unix ms. */
  async function runNow(nowMs: number): Promise<number[]> {
    const client = await opts.pool.connect();
    const cleaned: number[] = [];
    try {
      await client.query('BEGIN');
      // Cross-project scan by design (the worker); row locks keep two workers apart.
      const { rows } = await client.query<Row>(
        `SELECT c.id, c.project_id, c.version, c.pending_version FROM cohorts c
          WHERE c.state = 'archived' AND c.archived_at < $1
            AND NOT EXISTS (SELECT 1 FROM cohort_calculations h
                             WHERE h.cohort_id = c.id AND h.project_id = c.project_id
                               AND h.started_at >= c.archived_at AND h.stats->>'kind' = 'cleanup')
          ORDER BY c.archived_at LIMIT 20
          FOR UPDATE OF c SKIP LOCKED`,
        [new Date(nowMs - graceMs)],
      );
      for (const r of rows) {
        const top = Math.max(r.version, r.pending_version ?? 0) + 1;
        const doomed = [opts.keys.cohortCurrent(r.project_id, r.id)];
        for (let v = Math.max(1, r.version - window); v <= top; v++) doomed.push(opts.keys.cohortMembers(r.project_id, r.id, v));
        const dropped = await opts.redis.unlink(...doomed);
        await client.query(
          `INSERT INTO cohort_calculations (project_id, cohort_id, version, worker, started_at, finished_at, duration_ms, member_count, stats)
           VALUES ($1, $2, $3, $4, $5, $5, 0, 0, $6)`,
          [r.project_id, r.id, r.version, opts.workerId, new Date(nowMs), JSON.stringify({ kind: 'cleanup', redis_keys_dropped: dropped })],
        );
        await client.query('UPDATE cohorts SET member_count = 0, pending_version = NULL WHERE project_id = $1 AND id = $2', [r.project_id, r.id]);
        cleaned.push(r.id);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    if (cleaned.length) opts.logger.info({ cohorts: cleaned }, 'dropped the materialization of archived cohorts');
    return cleaned;
  }

  return {
    runNow,
    /** Housekeeping hook for the refresher: runs a pass at most every `everyMs`. */
    async maybeRun(nowMs: number): Promise<void> {
      if (nowMs - lastRun < everyMs) return;
      lastRun = nowMs;
      await runNow(nowMs);
    },
  };
}

export type ArchiveCleanup = ReturnType<typeof createArchiveCleanup>;
