import type { CohortDefinition } from '../../domain/cohort-definition.js';
import type { Cohort, CohortKind, CohortPatch, CohortRef, CohortState, CohortStateCounts, NewCohort } from '../../domain/cohort.js';
import type { Tier } from '../../domain/project.js';
import type { CohortStore } from '../../ports/cohort-store.js';
import type { Db } from '../../ports/db.js';
import { asDb, sql } from './db.js';
import type { Pool } from './pool.js';

interface CohortRow {
  id: number;
  project_id: number;
  key: string;
  name: string;
  description: string;
  kind: CohortKind;
  definition: CohortDefinition | null;
  state: CohortState;
  definition_version: number;
  version: number;
  pending_version: number | null;
  member_count: number;
  last_calculated_at: Date | null;
  errors_calculating: number;
  last_error_at: Date | null;
  last_error_code: string | null;
  last_error_message: string | null;
  refresh_interval_s: number | null;
  next_run_at: Date | null;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
  is_calculating: boolean;
  created_by: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const toCohort = (r: CohortRow): Cohort => ({
  id: r.id,
  projectId: r.project_id,
  key: r.key,
  name: r.name,
  description: r.description,
  kind: r.kind,
  definition: r.definition,
  state: r.state,
  definitionVersion: r.definition_version,
  version: r.version,
  pendingVersion: r.pending_version,
  memberCount: r.member_count,
  lastCalculatedAt: iso(r.last_calculated_at),
  errorsCalculating: r.errors_calculating,
  lastErrorAt: iso(r.last_error_at),
  lastErrorCode: r.last_error_code,
  lastErrorMessage: r.last_error_message,
  refreshIntervalS: r.refresh_interval_s,
  nextRunAt: iso(r.next_run_at),
  archivedAt: iso(r.archived_at),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  isCalculating: r.is_calculating,
  createdBy: r.created_by,
});

const COLUMNS = `id, project_id, key, name, description, kind, definition, state, definition_version, version,
  pending_version, member_count, last_calculated_at, errors_calculating, last_error_at, last_error_code,
  last_error_message, refresh_interval_s, next_run_at, archived_at, created_at, updated_at, created_by,
  (pending_version IS NOT NULL AND lease_expires_at IS NOT NULL AND lease_expires_at > now()) AS is_calculating`;

/** Cohort rows: CRUD, listing, and the reference map the compiler needs. */
export function createCohortStore(pool: Pool): CohortStore {
  const pooled = asDb(pool);
  return {
    /** Inserts a cohort in state `building`, due now. Throws pg 23505 on a duplicate key. */
    async insert(c: NewCohort, db: Db = pooled): Promise<Cohort> {
      const { rows } = await sql(db).query<CohortRow>(
        `INSERT INTO cohorts (project_id, key, name, description, kind, definition, refresh_interval_s, state, next_run_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'building', now(), (SELECT name FROM admin_keys WHERE id = $8)) RETURNING ${COLUMNS}`,
        [c.projectId, c.key, c.name, c.description, c.kind, c.definition === null ? null : JSON.stringify(c.definition), c.refreshIntervalS, c.createdByKeyId ?? null],
      );
      return toCohort(rows[0]);
    },

    async byKey(projectId: number, key: string, db: Db = pooled): Promise<Cohort | null> {
      const { rows } = await sql(db).query<CohortRow>(`SELECT ${COLUMNS} FROM cohorts WHERE project_id = $1 AND key = $2`, [projectId, key]);
      return rows[0] ? toCohort(rows[0]) : null;
    },

    async byId(projectId: number, id: number, db: Db = pooled): Promise<Cohort | null> {
      const { rows } = await sql(db).query<CohortRow>(`SELECT ${COLUMNS} FROM cohorts WHERE project_id = $1 AND id = $2`, [projectId, id]);
      return rows[0] ? toCohort(rows[0]) : null;
    },

    /** Locks the row for the rest of the transaction (member edits, patches). */
    async lockByKey(projectId: number, key: string, db: Db): Promise<Cohort | null> {
      const { rows } = await sql(db).query<CohortRow>(`SELECT ${COLUMNS} FROM cohorts WHERE project_id = $1 AND key = $2 FOR UPDATE`, [projectId, key]);
      return rows[0] ? toCohort(rows[0]) : null;
    },

    /**
     * Moves a cohort to `state` (a lifecycle action) at `at`, with the schedule and archive
     * columns the action sets (undefined: unchanged).
     */
    async setState(
      projectId: number,
      id: number,
      state: CohortState,
      at: Date,
      effects: { nextRunAt?: Date | null; archivedAt?: Date | null },
      db: Db = pooled,
    ): Promise<Cohort> {
      const { rows } = await sql(db).query<CohortRow>(
        `UPDATE cohorts SET state = $3, updated_at = $4,
                next_run_at = CASE WHEN $5 THEN $6::timestamptz ELSE next_run_at END,
                archived_at = CASE WHEN $7 THEN $8::timestamptz ELSE archived_at END
          WHERE project_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [projectId, id, state, at, effects.nextRunAt !== undefined, effects.nextRunAt ?? null, effects.archivedAt !== undefined, effects.archivedAt ?? null],
      );
      return toCohort(rows[0]);
    },

    /** Keys of the non-archived cohorts whose definitions reference cohort `key`. */
    async referencedBy(projectId: number, key: string, db: Db = pooled): Promise<string[]> {
      const { rows } = await sql(db).query<{ key: string }>(
        `SELECT key FROM cohorts
          WHERE project_id = $1 AND key <> $2 AND state <> 'archived' AND definition IS NOT NULL
            AND jsonb_path_exists(definition, 'strict $.** ? (@.type == "cohort" && @.key == $k)', jsonb_build_object('k', $2::text))
          ORDER BY key`,
        [projectId, key],
      );
      return rows.map((r) => r.key);
    },

    /** Keyset page by id; archived cohorts only when asked; `search`: a case-insensitive substring of the key or the name. */
    async list(projectId: number, opts: { includeArchived: boolean; afterId: number; limit: number; search?: string }): Promise<Cohort[]> {
      const like = opts.search ? `%${opts.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : null;
      const { rows } = await pool.query<CohortRow>(
        `SELECT ${COLUMNS} FROM cohorts
          WHERE project_id = $1 AND id > $2 AND ($3 OR state <> 'archived')
            AND ($5::text IS NULL OR key ILIKE $5 OR name ILIKE $5)
          ORDER BY id LIMIT $4`,
        [projectId, opts.afterId, opts.includeArchived, opts.limit, like],
      );
      return rows.map(toCohort);
    },

    /** How many cohorts of the project are in each state (every state present, 0 when none). */
    async countByState(projectId: number): Promise<CohortStateCounts> {
      const { rows } = await pool.query<{ state: CohortState; n: number }>('SELECT state, count(*)::int AS n FROM cohorts WHERE project_id = $1 GROUP BY state', [projectId]);
      const out: CohortStateCounts = { building: 0, active: 0, paused: 0, archived: 0 };
      for (const r of rows) out[r.state] = r.n;
      return out;
    },

    /** Every cohort of the project by key: what reference checks and the compiler read. */
    async refs(projectId: number, db: Db = pooled): Promise<Map<string, CohortRef>> {
      const { rows } = await sql(db).query<{ id: number; key: string; kind: CohortKind; state: CohortState; definition: CohortDefinition | null }>(
        'SELECT id, key, kind, state, definition FROM cohorts WHERE project_id = $1',
        [projectId],
      );
      return new Map(rows.map((r) => [r.key, { id: r.id, kind: r.kind, state: r.state, definition: r.definition }]));
    },

    /** Cohorts that are not archived (membership reads, person view). */
    async live(projectId: number): Promise<Cohort[]> {
      const { rows } = await pool.query<CohortRow>(`SELECT ${COLUMNS} FROM cohorts WHERE project_id = $1 AND state <> 'archived' ORDER BY id`, [projectId]);
      return rows.map(toCohort);
    },

    /**
     * Applies a patch and bumps definition_version; a changed definition is due now.
     * Returns null when `expectedVersion` is given and stale.
     */
    async update(projectId: number, id: number, patch: CohortPatch, expectedVersion: number | null, db: Db = pooled): Promise<Cohort | null> {
      const { rows } = await sql(db).query<CohortRow>(
        `UPDATE cohorts SET
            name = COALESCE($3, name),
            description = COALESCE($4, description),
            definition = COALESCE($5::jsonb, definition),
            refresh_interval_s = CASE WHEN $6 THEN $7::integer ELSE refresh_interval_s END,
            next_run_at = CASE WHEN $5::jsonb IS NOT NULL THEN now() ELSE next_run_at END,
            definition_version = definition_version + 1,
            updated_at = now()
          WHERE project_id = $1 AND id = $2 AND ($8::integer IS NULL OR definition_version = $8)
          RETURNING ${COLUMNS}`,
        [
          projectId,
          id,
          patch.name ?? null,
          patch.description ?? null,
          patch.definition === undefined ? null : JSON.stringify(patch.definition),
          patch.refreshIntervalS !== undefined,
          patch.refreshIntervalS ?? null,
          expectedVersion,
        ],
      );
      return rows[0] ? toCohort(rows[0]) : null;
    },

    async adjustMemberCount(projectId: number, id: number, version: number, delta: number): Promise<void> {
      if (delta === 0) return;
      await pool.query('UPDATE cohorts SET member_count = GREATEST(0, member_count + $4) WHERE project_id = $1 AND id = $2 AND version = $3', [projectId, id, version, delta]);
    },

    /** Makes a cohort due now (the refresher picks it up on its next tick). */
    async markDue(projectId: number, id: number): Promise<void> {
      await pool.query('UPDATE cohorts SET next_run_at = now() WHERE project_id = $1 AND id = $2', [projectId, id]);
    },

    /** Bumps projects.definitions_version: API processes reload definitions and cohort states. */
    async bumpDefinitionsVersion(projectId: number, db: Db = pooled): Promise<void> {
      await sql(db).query('UPDATE projects SET definitions_version = definitions_version + 1 WHERE id = $1', [projectId]);
    },

    /** Checks a regex with PostgreSQL's engine; returns its error message, or null when valid. */
    async regexError(pattern: string, db: Db = pooled): Promise<string | null> {
      try {
        await sql(db).query("SELECT '' ~ $1::text", [pattern]);
        return null;
      } catch (err) {
        if ((err as { code?: string }).code === '2201B') return (err as Error).message;
        throw err;
      }
    },

    async membersPerTier(): Promise<Array<{ tier: Tier; members: number }>> {
      const { rows } = await pool.query<{ tier: Tier; members: number }>(
        `SELECT p.tier, COALESCE(SUM(c.member_count), 0)::bigint AS members
           FROM projects p LEFT JOIN cohorts c ON c.project_id = p.id AND c.state IN ('active', 'paused')
          GROUP BY p.tier`,
      );
      return rows;
    },
  };
}

