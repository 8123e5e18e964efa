import type { Calculation, CohortErrorCode, CohortKind, CohortState } from '../../domain/cohort.js';
import type { CohortRunStore } from '../../ports/cohort-run-store.js';
import type { Db } from '../../ports/db.js';
import { asDb, sql } from './db.js';
import type { Pool } from './pool.js';

interface CalculationRow {
  id: number;
  version: number;
  worker: string | null;
  started_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
  member_count: number | null;
  error_code: string | null;
  error_message: string | null;
  stats: Record<string, unknown>;
}

/**
 * Refresh runs: reserved versions, outcomes, the next run and the calculation history. The
 * leases themselves are refresh-lease-store.ts's; succeed/fail release a lease in the same
 * statement that records the outcome, so a run's end is one atomic write.
 */
export function createCohortRunStore(pool: Pool): CohortRunStore {
  const ts = (ms: number) => new Date(ms);
  return {
    async exists(projectId: number, cohortId: number): Promise<boolean> {
      const { rowCount } = await pool.query('SELECT 1 FROM cohorts WHERE id = $1 AND project_id = $2', [cohortId, projectId]);
      return (rowCount ?? 0) > 0;
    },

    /**
     * Reserves the next materialized version (above the recorded one, any abandoned
     * pending one and `floor`, the version live in Redis, so two runs never write the same
     * Redis set and the forward-only switch always accepts it) and opens a history row.
     */
    async startRun(projectId: number, cohortId: number, worker: string, floor = 0): Promise<{ version: number; calculationId: number }> {
      const { rows } = await pool.query<{ version: number; calculation_id: number }>(
        `WITH c AS (
           UPDATE cohorts SET pending_version = GREATEST(version, COALESCE(pending_version, 0), $4::integer) + 1
            WHERE id = $1 AND project_id = $2 RETURNING pending_version
         )
         INSERT INTO cohort_calculations (project_id, cohort_id, version, worker, started_at)
         SELECT $2, $1, c.pending_version, $3, clock_timestamp() FROM c
         RETURNING version, id AS calculation_id`,
        [cohortId, projectId, worker, floor],
      );
      return { version: rows[0].version, calculationId: rows[0].calculation_id };
    },

    /**
     * Records a successful run: live version, count and as-of time (unix ms); building
     * becomes active; errors reset; the lease is released if still ours. A version older
     * than the recorded one is ignored (a slower run finished after a newer one).
     */
    async succeed(projectId: number, cohortId: number, worker: string, r: { version: number; memberCount: number; asOf: number }, db: Db = asDb(pool)): Promise<boolean> {
      const res = await sql(db).query(
        `UPDATE cohorts SET
            version = $4, member_count = $5, last_calculated_at = to_timestamp($6::double precision / 1000),
            errors_calculating = 0,
            state = CASE WHEN state = 'building' THEN 'active' ELSE state END,
            pending_version = CASE WHEN pending_version = $4 THEN NULL ELSE pending_version END,
            lease_expires_at = CASE WHEN lease_owner = $3 THEN NULL ELSE lease_expires_at END,
            lease_owner = CASE WHEN lease_owner = $3 THEN NULL ELSE lease_owner END
          WHERE id = $1 AND project_id = $2 AND version < $4`,
        [cohortId, projectId, worker, r.version, r.memberCount, r.asOf],
      );
      return (res.rowCount ?? 0) > 0;
    },

    /** Records a failed run: the live version stays; the error is counted and kept. */
    async fail(projectId: number, cohortId: number, worker: string, version: number, e: { code: CohortErrorCode; message: string }): Promise<void> {
      await pool.query(
        `UPDATE cohorts SET
            errors_calculating = errors_calculating + 1, last_error_at = now(), last_error_code = $5, last_error_message = $6,
            pending_version = CASE WHEN pending_version = $4 THEN NULL ELSE pending_version END,
            lease_expires_at = CASE WHEN lease_owner = $3 THEN NULL ELSE lease_expires_at END,
            lease_owner = CASE WHEN lease_owner = $3 THEN NULL ELSE lease_owner END
          WHERE id = $1 AND project_id = $2`,
        [cohortId, projectId, worker, version, e.code, e.message],
      );
    },

    /** Closes a history row. `stats`: rows, query_ms, redis_ms, redis_bytes, ... */
    async finishCalculation(
      projectId: number,
      calculationId: number,
      r: { durationMs: number; memberCount?: number; error?: { code: CohortErrorCode; message: string }; stats: Record<string, number> },
    ): Promise<void> {
      await pool.query(
        `UPDATE cohort_calculations SET finished_at = clock_timestamp(), duration_ms = $3, member_count = $4,
                error_code = $5, error_message = $6, stats = $7
          WHERE id = $1 AND project_id = $2`,
        [calculationId, projectId, Math.round(r.durationMs), r.memberCount ?? null, r.error?.code ?? null, r.error?.message ?? null, JSON.stringify(r.stats)],
      );
    },

    /** A cohort's runs, newest first; `beforeId` is the keyset cursor. */
    async calculations(projectId: number, cohortId: number, page: { beforeId?: number; limit: number }): Promise<Calculation[]> {
      const { rows } = await pool.query<CalculationRow>(
        `SELECT id, version, worker, started_at, finished_at, duration_ms, member_count, error_code, error_message, stats
           FROM cohort_calculations
          WHERE project_id = $1 AND cohort_id = $2 AND ($3::bigint IS NULL OR id < $3)
          ORDER BY id DESC LIMIT $4`,
        [projectId, cohortId, page.beforeId ?? null, page.limit],
      );
      return rows.map((r) => ({
        id: r.id,
        version: r.version,
        worker: r.worker,
        startedAt: r.started_at.toISOString(),
        finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
        durationMs: r.duration_ms,
        memberCount: r.member_count,
        errorCode: r.error_code,
        errorMessage: r.error_message,
        stats: r.stats,
      }));
    },

    /** Sets the next run (unix ms) of a cohort that still refreshes. */
    async reschedule(projectId: number, cohortId: number, atMs: number): Promise<void> {
      await pool.query(
        `UPDATE cohorts SET next_run_at = $3 WHERE project_id = $1 AND id = $2 AND state IN ('building', 'active')`,
        [projectId, cohortId, ts(atMs)],
      );
    },

    /** Consecutive failures of a cohort (after refreshCohort's bookkeeping). */
    async errorsCalculating(projectId: number, cohortId: number): Promise<number> {
      const { rows } = await pool.query<{ errors_calculating: number }>(
        'SELECT errors_calculating FROM cohorts WHERE project_id = $1 AND id = $2',
        [projectId, cohortId],
      );
      return rows[0]?.errors_calculating ?? 0;
    },


    async materialized() {
      const { rows } = await pool.query<{ project_id: number; id: number; kind: CohortKind; state: CohortState; version: number; duration_ms: number | null }>(
        `SELECT c.project_id, c.id, c.kind, c.state, c.version,
                (SELECT h.duration_ms FROM cohort_calculations h
                  WHERE h.project_id = c.project_id AND h.cohort_id = c.id AND h.error_code IS NULL AND h.finished_at IS NOT NULL
                  ORDER BY h.id DESC LIMIT 1) AS duration_ms
           FROM cohorts c WHERE c.state IN ('active', 'paused') AND c.version > 0`,
      );
      return rows.map((r) => ({ projectId: r.project_id, id: r.id, kind: r.kind, state: r.state, version: r.version, lastDurationMs: r.duration_ms }));
    },

    /**
     * Closes the history rows a dead worker left open: error code `interrupted`.
     * Returns how many it closed.
     */
    async closeInterrupted(projectId: number, cohortId: number, deadWorker: string, nowMs: number): Promise<number> {
      const { rowCount } = await pool.query(
        `UPDATE cohort_calculations
            SET finished_at = $4, error_code = 'interrupted',
                duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM ($4::timestamptz - started_at)) * 1000)::int),
                error_message = 'worker ' || $3 || ' lost its lease before finishing (killed or stalled)'
          WHERE project_id = $1 AND cohort_id = $2 AND worker = $3 AND finished_at IS NULL`,
        [projectId, cohortId, deadWorker, ts(nowMs)],
      );
      return rowCount ?? 0;
    },

  };
}

