/**
 * Row leases of cohort refreshes (ports/refresh-lease-store.ts), in one place: the due scan
 * that claims cohorts for a refresher, and the per-cohort lease a run holds while it computes.
 * The due scan is the one query that crosses projects (it is the scheduler); every other
 * statement works on explicit cohort ids. Two clocks: schedules (`next_run_at`) use the
 * caller's `nowMs`, so tests can move time; leases use PostgreSQL's now(), so every
 * refresher agrees on them.
 */
import type { CohortKind, CohortState, LeasedCohort } from '../../domain/cohort.js';
import type { CohortDefinition } from '../../domain/cohort-definition.js';
import type { Tier } from '../../domain/project.js';
import type { ClaimedCohort, RefreshLeaseStore } from '../../ports/refresh-lease-store.js';
import type { Pool } from './pool.js';

interface ClaimRow {
  id: number;
  project_id: number;
  key: string;
  kind: CohortKind;
  tier: Tier;
  refresh_interval_s: number | null;
  scheduled: Date | null;
  refs: string[] | null;
  expired_owner: string | null;
}

interface LeasedRow {
  id: number;
  project_id: number;
  key: string;
  kind: CohortKind;
  state: CohortState;
  definition: CohortDefinition | null;
  version: number;
  pending_version: number | null;
}

// Keys of `{ type: 'cohort', key }` leaves anywhere in a definition tree.
const REFS = `jsonb_path_query_array(COALESCE(c.definition, 'null'::jsonb), 'strict $.** ? (@.type == "cohort").key')`;

/** ms a cohort may wait for its dependencies before it runs anyway (no starvation). */
export const MAX_DEPENDENCY_WAIT_MS = 120_000;

export function createRefreshLeaseStore(pool: Pool): RefreshLeaseStore {
  const ts = (ms: number) => new Date(ms);
  return {
    /**
     * Claims up to `limit` due cohorts (state building/active, next_run_at ≤ nowMs, lease
     * free or expired) with FOR UPDATE SKIP LOCKED, and in the same statement moves their
     * next_run_at to `holdUntilMs`, so no other worker claims them meanwhile. If this worker
     * dies before it reschedules, the cohort becomes due again at holdUntilMs.
     * A cohort whose dependency (same project, building/active) is due or leased waits,
     * at most MAX_DEPENDENCY_WAIT_MS past its slot, so dependencies refresh first.
     */
    async claimDue(nowMs: number, limit: number, holdUntilMs: number): Promise<ClaimedCohort[]> {
      const { rows } = await pool.query<ClaimRow>(
        `WITH due AS (
           SELECT c.id, c.next_run_at AS scheduled,
                  CASE WHEN c.lease_owner IS NOT NULL THEN c.lease_owner END AS expired_owner
             FROM cohorts c
            WHERE c.state IN ('building', 'active')
              AND (c.next_run_at IS NULL OR c.next_run_at <= $1)
              AND (c.lease_expires_at IS NULL OR c.lease_expires_at < now())
              AND NOT (
                COALESCE(c.next_run_at, c.updated_at) > $1 - make_interval(secs => $4::double precision / 1000)
                AND EXISTS (
                  SELECT 1 FROM cohorts d
                   WHERE d.project_id = c.project_id AND d.id <> c.id
                     AND d.state IN ('building', 'active')
                     AND d.key IN (SELECT jsonb_array_elements_text(${REFS}))
                     AND (d.next_run_at IS NULL OR d.next_run_at <= $1 OR d.lease_expires_at >= now())))
            ORDER BY c.next_run_at NULLS FIRST, c.id
            LIMIT $2
            FOR UPDATE OF c SKIP LOCKED
         )
         UPDATE cohorts c SET next_run_at = $3
           FROM due, projects p
          WHERE c.id = due.id AND p.id = c.project_id
         RETURNING c.id, c.project_id, c.key, c.kind, p.tier, c.refresh_interval_s, due.scheduled, due.expired_owner,
                   ${REFS} AS refs`,
        [ts(nowMs), limit, ts(holdUntilMs), MAX_DEPENDENCY_WAIT_MS],
      );
      return rows.map((r) => ({
        id: r.id,
        projectId: r.project_id,
        key: r.key,
        kind: r.kind,
        tier: r.tier,
        refreshIntervalS: r.refresh_interval_s,
        scheduledAt: r.scheduled ? r.scheduled.getTime() : null,
        refs: r.refs ?? [],
        expiredLeaseOwner: r.expired_owner,
      }));
    },

    /**
     * Takes the cohort's row lease for `leaseMs` if nobody holds a live one.
     * Returns the cohort, or null when it is leased (or does not exist).
     */
    async acquire(projectId: number, cohortId: number, worker: string, leaseMs: number): Promise<LeasedCohort | null> {
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

    /** Extends a lease this worker still holds to `leaseMs` from now (database clock); false when it lost it. */
    async renew(projectId: number, cohortId: number, worker: string, leaseMs: number): Promise<boolean> {
      const { rowCount } = await pool.query(
        `UPDATE cohorts SET lease_expires_at = now() + make_interval(secs => $4::double precision / 1000)
          WHERE project_id = $1 AND id = $2 AND lease_owner = $3 AND lease_expires_at >= now()`,
        [projectId, cohortId, worker, leaseMs],
      );
      return (rowCount ?? 0) > 0;
    },

    /** Releases the lease if `worker` still holds it. */
    async release(projectId: number, cohortId: number, worker: string): Promise<void> {
      await pool.query(
        'UPDATE cohorts SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND project_id = $2 AND lease_owner = $3',
        [cohortId, projectId, worker],
      );
    },

  };
}
