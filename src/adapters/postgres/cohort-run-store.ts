import type { Pool } from './pool.js';
import type { Definition } from '../../cohorts/definition.js';
import type { CohortKind, CohortState } from './cohort-store.js';
import type { CohortErrorCode } from '../../cohorts/errors.js';

/** A cohort under a row lease: what one refresh run needs. */
export interface LeasedCohort {
  id: number;
  projectId: number;
  key: string;
  kind: CohortKind;
  state: CohortState;
  definition: Definition | null;
  version: number;
  /** left by a run that died before finishing (its Redis set may still exist) */
  pendingVersion: number | null;
}

interface LeasedRow {
  id: number;
  project_id: number;
  key: string;
  kind: CohortKind;
  state: CohortState;
  definition: Definition | null;
  version: number;
  pending_version: number | null;
}

/** One refresh run from `cohort_calculations`. Times are ISO, duration in ms. */
export interface Calculation {
  id: number;
  version: number;
  worker: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  memberCount: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  stats: Record<string, unknown>;
}

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

/** Row leases, pending versions and calculation history of cohort refreshes. */
export function createCohortRunStore(pool: Pool) {
  return {
    /**
     * Takes the cohort's row lease for `leaseMs` if nobody holds a live one.
     * Returns the cohort, or null when it is leased (or does not exist).
     */
    async acquireLease(projectId: number, cohortId: number, worker: string, leaseMs: number): Promise<LeasedCohort | null> {
      const { rows } = await pool.query<LeasedRow>(
        `UPDATE cohorts SET lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4::double precision / 1000)
          WHERE id = $1 AND project_id = $2 AND (lease_expires_at IS NULL OR lease_expires_at < now())
          RETURNING id, project_id, key, kind, state, definition, version, pending_version`,
        [cohortId, projectId, worker, leaseMs],
      );
      const r = rows[0];
      return r
        ? { id: r.id, projectId: r.project_id, key: r.key, kind: r.kind, state: r.state, definition: r.definition, version: r.version, pendingVersion: r.pending_version }
        : null;
    },

    async exists(projectId: number, cohortId: number): Promise<boolean> {
      const { rowCount } = await pool.query('SELECT 1 FROM cohorts WHERE id = $1 AND project_id = $2', [cohortId, projectId]);
      return (rowCount ?? 0) > 0;
    },

    /** Releases the lease if `worker` still holds it. */
    async releaseLease(projectId: number, cohortId: number, worker: string): Promise<void> {
      await pool.query(
        'UPDATE cohorts SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND project_id = $2 AND lease_owner = $3',
        [cohortId, projectId, worker],
      );
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
    async succeed(projectId: number, cohortId: number, worker: string, r: { version: number; memberCount: number; asOf: number }): Promise<void> {
      await pool.query(
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
  };
}

export type CohortRunStore = ReturnType<typeof createCohortRunStore>;
