import { conflict, notFound } from '../errors.js';
import { withTransaction, type Pool, type PoolClient } from '../adapters/postgres/pool.js';
import type { AuditStore } from '../adapters/postgres/audit-store.js';
import { transition, type CohortState, type UserAction } from '../cohorts/lifecycle.js';
import type { AdminPrincipal } from './projects.js';

/** A cohort's state and refresh bookkeeping, as the lifecycle endpoints answer it. Times are ISO. */
export interface CohortStatus {
  id: number;
  key: string;
  name: string;
  kind: 'static' | 'dynamic';
  state: CohortState;
  version: number;
  pendingVersion: number | null;
  memberCount: number;
  lastCalculatedAt: string | null;
  errorsCalculating: number;
  lastErrorAt: string | null;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  nextRunAt: string | null;
  archivedAt: string | null;
  /** non-archived cohorts whose definitions reference this one (their filters become unavailable when it is archived) */
  referencedBy: string[];
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

interface CohortRow {
  id: number;
  key: string;
  name: string;
  kind: 'static' | 'dynamic';
  state: CohortState;
  version: number;
  pending_version: number | null;
  member_count: number;
  last_calculated_at: Date | null;
  errors_calculating: number;
  last_error_at: Date | null;
  last_error_code: string | null;
  last_error_message: string | null;
  next_run_at: Date | null;
  archived_at: Date | null;
}

const COLUMNS = `id, key, name, kind, state, version, pending_version, member_count, last_calculated_at,
  errors_calculating, last_error_at, last_error_code, last_error_message, next_run_at, archived_at`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const toStatus = (r: CohortRow, referencedBy: string[]): CohortStatus => ({
  id: r.id,
  key: r.key,
  name: r.name,
  kind: r.kind,
  state: r.state,
  version: r.version,
  pendingVersion: r.pending_version,
  memberCount: r.member_count,
  lastCalculatedAt: iso(r.last_calculated_at),
  errorsCalculating: r.errors_calculating,
  lastErrorAt: iso(r.last_error_at),
  lastErrorCode: r.last_error_code,
  lastErrorMessage: r.last_error_message,
  nextRunAt: iso(r.next_run_at),
  archivedAt: iso(r.archived_at),
  referencedBy,
});

// What each admin action writes besides the state. $3 is "now".
const EFFECTS: Record<UserAction, string> = {
  pause: '',
  // Membership was frozen: refresh as soon as a worker is free.
  resume: ', next_run_at = $3',
  archive: ', archived_at = $3, next_run_at = NULL',
  // Back to building: the next tick rebuilds it; decisions skip it until then.
  restore: ', archived_at = NULL, next_run_at = $3',
};

export interface CohortLifecycleDeps {
  pool: Pool;
  audit: AuditStore;
  /** tells every API process that the project's definitions (cohort states) changed */
  notify: (projectId: number) => Promise<void>;
  /** unix ms */
  now?: () => number;
}

/** pause / resume / archive / restore (PRODUCT.md 6.2) and the calculation history. */
export function createCohortLifecycle(deps: CohortLifecycleDeps) {
  const { pool, audit } = deps;
  const now = deps.now ?? Date.now;

  async function referencedBy(db: Pick<PoolClient, 'query'>, projectId: number, key: string): Promise<string[]> {
    const { rows } = await db.query<{ key: string }>(
      `SELECT key FROM cohorts
        WHERE project_id = $1 AND key <> $2 AND state <> 'archived' AND definition IS NOT NULL
          AND jsonb_path_exists(definition, 'strict $.** ? (@.type == "cohort" && @.key == $k)', jsonb_build_object('k', $2::text))
        ORDER BY key`,
      [projectId, key],
    );
    return rows.map((r) => r.key);
  }

  return {
    /**
     * Applies an admin action to the cohort `key` of the project. Writes the audit log and
     * bumps projects.definitions_version in the same transaction, then notifies.
     * Throws not_found, or conflict with details `{ state, allowed }` when the lifecycle
     * refuses the action.
     */
    async apply(who: AdminPrincipal, projectId: number, key: string, action: UserAction): Promise<CohortStatus> {
      const status = await withTransaction(pool, async (db) => {
        const { rows } = await db.query<CohortRow>(`SELECT ${COLUMNS} FROM cohorts WHERE project_id = $1 AND key = $2 FOR UPDATE`, [projectId, key]);
        const before = rows[0];
        if (!before) throw notFound(`cohort ${key} not found`);
        const t = transition(before.state, action);
        if (!t.ok) {
          throw conflict(`cannot ${action} cohort ${key}: it is ${before.state}; allowed: ${t.allowed.join(', ') || 'none'}`, { state: before.state, allowed: t.allowed });
        }
        const updated = await db.query<CohortRow>(
          `UPDATE cohorts SET state = $4, updated_at = $3 ${EFFECTS[action]}
            WHERE project_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
          [projectId, before.id, new Date(now()), t.to],
        );
        await db.query('UPDATE projects SET definitions_version = definitions_version + 1 WHERE id = $1', [projectId]);
        await audit.write(
          { projectId, actor: who.actor, action, entityKind: 'cohort', entityKey: key, before: { state: before.state }, after: { state: t.to } },
          db,
        );
        return toStatus(updated.rows[0], await referencedBy(db, projectId, key));
      });
      // Best effort: API processes also poll definitions_version.
      await deps.notify(projectId).catch(() => {});
      return status;
    },

    /** The cohort's state and bookkeeping; throws not_found. */
    async status(projectId: number, key: string): Promise<CohortStatus> {
      const { rows } = await pool.query<CohortRow>(`SELECT ${COLUMNS} FROM cohorts WHERE project_id = $1 AND key = $2`, [projectId, key]);
      if (!rows[0]) throw notFound(`cohort ${key} not found`);
      return toStatus(rows[0], await referencedBy(pool, projectId, key));
    },

    /** Newest first; `beforeId` is the keyset cursor (the last id of the previous page). Throws not_found. */
    async calculations(projectId: number, key: string, page: { beforeId?: number; limit: number }): Promise<Calculation[]> {
      const cohort = await pool.query<{ id: number }>('SELECT id FROM cohorts WHERE project_id = $1 AND key = $2', [projectId, key]);
      if (!cohort.rows[0]) throw notFound(`cohort ${key} not found`);
      const { rows } = await pool.query<{
        id: number; version: number; worker: string | null; started_at: Date; finished_at: Date | null; duration_ms: number | null;
        member_count: number | null; error_code: string | null; error_message: string | null; stats: Record<string, unknown>;
      }>(
        `SELECT id, version, worker, started_at, finished_at, duration_ms, member_count, error_code, error_message, stats
           FROM cohort_calculations
          WHERE project_id = $1 AND cohort_id = $2 AND ($3::bigint IS NULL OR id < $3)
          ORDER BY id DESC LIMIT $4`,
        [projectId, cohort.rows[0].id, page.beforeId ?? null, page.limit],
      );
      return rows.map((r) => ({
        id: r.id,
        version: r.version,
        worker: r.worker,
        startedAt: r.started_at.toISOString(),
        finishedAt: iso(r.finished_at),
        durationMs: r.duration_ms,
        memberCount: r.member_count,
        errorCode: r.error_code,
        errorMessage: r.error_message,
        stats: r.stats,
      }));
    },
  };
}

export type CohortLifecycle = ReturnType<typeof createCohortLifecycle>;
