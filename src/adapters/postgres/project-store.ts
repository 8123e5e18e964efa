import type { Project, Tier } from '../../domain/project.js';
import type { ProjectPatch, ProjectStore } from '../../ports/project-store.js';
import type { Pool } from './pool.js';

interface ProjectRow {
  id: number;
  name: string;
  tier: Tier;
  token: string;
  created_at: Date;
  allowed_origins: string[] | null;
  event_retention_days: number | null;
  time_zone: string;
}

const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  name: r.name,
  tier: r.tier,
  token: r.token,
  createdAt: r.created_at.toISOString(),
  allowedOrigins: r.allowed_origins,
  eventRetentionDays: r.event_retention_days,
  timeZone: r.time_zone,
});

const COLUMNS = 'id, name, tier, token, created_at, allowed_origins, event_retention_days, time_zone';

export function createProjectStore(pool: Pool): ProjectStore {
  return {
    async insert(name: string, tier: Tier, token: string): Promise<Project> {
      const { rows } = await pool.query<ProjectRow>(
        `INSERT INTO projects (name, tier, token) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
        [name, tier, token],
      );
      return toProject(rows[0]);
    },
    async get(id: number): Promise<Project | null> {
      const { rows } = await pool.query<ProjectRow>(`SELECT ${COLUMNS} FROM projects WHERE id = $1`, [id]);
      return rows[0] ? toProject(rows[0]) : null;
    },
    async byToken(token: string): Promise<Project | null> {
      const { rows } = await pool.query<ProjectRow>(`SELECT ${COLUMNS} FROM projects WHERE token = $1`, [token]);
      return rows[0] ? toProject(rows[0]) : null;
    },
    /** Keyset page by id; `projectIds` null means every project. */
    async list(projectIds: number[] | null, afterId: number, limit: number): Promise<Project[]> {
      const { rows } = await pool.query<ProjectRow>(
        `SELECT ${COLUMNS} FROM projects
          WHERE id > $1 AND ($2::bigint[] IS NULL OR id = ANY($2))
          ORDER BY id LIMIT $3`,
        [afterId, projectIds, limit],
      );
      return rows.map(toProject);
    },
    async update(id: number, patch: ProjectPatch): Promise<Project | null> {
      const { rows } = await pool.query<ProjectRow>(
        `UPDATE projects SET name = COALESCE($2, name), tier = COALESCE($3, tier), updated_at = now(),
                allowed_origins = CASE WHEN $4::boolean THEN $5::text[] ELSE allowed_origins END,
                event_retention_days = CASE WHEN $6::boolean THEN $7::integer ELSE event_retention_days END,
                time_zone = COALESCE($8::text, time_zone),
                definitions_version = definitions_version + 1
          WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, patch.name ?? null, patch.tier ?? null, patch.allowedOrigins !== undefined, patch.allowedOrigins ?? null, patch.eventRetentionDays !== undefined, patch.eventRetentionDays ?? null, patch.timeZone ?? null],
      );
      return rows[0] ? toProject(rows[0]) : null;
    },
    async all(): Promise<Project[]> {
      const { rows } = await pool.query<ProjectRow>(`SELECT ${COLUMNS} FROM projects ORDER BY id`);
      return rows.map(toProject);
    },
  };
}

