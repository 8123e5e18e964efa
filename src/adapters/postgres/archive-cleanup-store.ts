import type { ArchiveCleanupStore, ArchivedCohort } from '../../ports/archive-cleanup-store.js';
import type { Pool } from './pool.js';

interface Row {
  id: number;
  project_id: number;
  version: number;
  pending_version: number | null;
}

/**
 * PostgreSQL side of dropping archived cohorts' materializations (ports/archive-cleanup-store.ts):
 * the cleanup is recorded as a `cohort_calculations` row with `stats.kind = 'cleanup'`
 * (readable in the history; it also marks the cohort as done) and `member_count` set to 0;
 * `version` is kept so a restore continues from the next number.
 */
export function createArchiveCleanupStore(pool: Pool): ArchiveCleanupStore {
  return {
    async cleanDue(nowMs, archivedBeforeMs, worker, drop: (c: ArchivedCohort) => Promise<number>) {
      const client = await pool.connect();
      const cleaned: number[] = [];
      try {
        await client.query('BEGIN');
        // Cross-project scan by design (the refresher); row locks keep two refreshers apart.
        const { rows } = await client.query<Row>(
          `SELECT c.id, c.project_id, c.version, c.pending_version FROM cohorts c
            WHERE c.state = 'archived' AND c.archived_at < $1
              AND NOT EXISTS (SELECT 1 FROM cohort_calculations h
                               WHERE h.cohort_id = c.id AND h.project_id = c.project_id
                                 AND h.started_at >= c.archived_at AND h.stats->>'kind' = 'cleanup')
            ORDER BY c.archived_at LIMIT 20
            FOR UPDATE OF c SKIP LOCKED`,
          [new Date(archivedBeforeMs)],
        );
        for (const r of rows) {
          const dropped = await drop({ id: r.id, projectId: r.project_id, version: r.version, pendingVersion: r.pending_version });
          await client.query(
            `INSERT INTO cohort_calculations (project_id, cohort_id, version, worker, started_at, finished_at, duration_ms, member_count, stats)
             VALUES ($1, $2, $3, $4, $5, $5, 0, 0, $6)`,
            [r.project_id, r.id, r.version, worker, new Date(nowMs), JSON.stringify({ kind: 'cleanup', redis_keys_dropped: dropped })],
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
      return cleaned;
    },
  };
}
