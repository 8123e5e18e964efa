import type { CohortInfo } from '../../domain/cohort.js';
import type { DefinitionKind } from '../../domain/definition.js';
import type { Tier } from '../../domain/project.js';
import type { SnapshotRows, SnapshotSource } from '../../ports/snapshot-source.js';
import type { Pool } from './pool.js';

/**
 * Reads a project's definitions and cohort states in one REPEATABLE READ transaction, so the
 * snapshot is consistent with the definitions_version it carries.
 */
export function createSnapshotSource(pool: Pool): SnapshotSource {
  return {
    async load(projectId: number): Promise<SnapshotRows | null> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const p = await client.query<{ tier: Tier; definitions_version: number }>(
          'SELECT tier, definitions_version FROM projects WHERE id = $1',
          [projectId],
        );
        if (!p.rows[0]) {
          await client.query('COMMIT');
          return null;
        }
        const defs = await client.query<{ kind: DefinitionKind; key: string; version: number; definition: Record<string, unknown> }>(
          `SELECT 'flag' AS kind, key, version, definition FROM flags WHERE project_id = $1
           UNION ALL SELECT 'config', key, version, definition FROM configs WHERE project_id = $1
           UNION ALL SELECT 'survey', key, version, definition FROM surveys WHERE project_id = $1`,
          [projectId],
        );
        const cohorts = await client.query<{ id: number; key: string; state: CohortInfo['state']; version: number; last_calculated_at: Date | null }>(
          'SELECT id, key, state, version, last_calculated_at FROM cohorts WHERE project_id = $1',
          [projectId],
        );
        await client.query('COMMIT');
        return {
          projectId,
          tier: p.rows[0].tier,
          definitionsVersion: Number(p.rows[0].definitions_version),
          definitions: defs.rows,
          cohorts: cohorts.rows.map((c) => ({ id: c.id, key: c.key, state: c.state, version: c.version, asOf: c.last_calculated_at ? c.last_calculated_at.getTime() : null })),
        };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },

    async cohortRefreshes(projectIds: number[], sinceMs: number) {
      const { rows } = await pool.query<{ project_id: number; id: number; version: number; last_calculated_at: Date }>(
        `SELECT project_id, id, version, last_calculated_at FROM cohorts
          WHERE project_id = ANY($1::bigint[]) AND last_calculated_at > $2`,
        [projectIds, new Date(sinceMs)],
      );
      return rows.map((r) => ({ projectId: r.project_id, cohortId: r.id, version: r.version, asOf: r.last_calculated_at.getTime() }));
    },

    /** Current definitions_version of each project (one cheap query per poll). */
    async versions(projectIds: number[]): Promise<Map<number, number>> {
      const { rows } = await pool.query<{ id: number; definitions_version: number }>(
        'SELECT id, definitions_version FROM projects WHERE id = ANY($1::bigint[])',
        [projectIds],
      );
      return new Map(rows.map((r) => [r.id, Number(r.definitions_version)]));
    },
  };
}

