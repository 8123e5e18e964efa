/**
 * Every person of a project, in pages, for `rules plan --impact` (as-code/impact.ts): keyset
 * pagination on (project_id, id) over persons_project_idx, so a million persons stream in
 * constant memory without a long-held cursor or transaction. Rows are mapped here; they
 * never leave the adapter.
 */
import type { Pool } from './pool.js';

/** What impact needs of a person: its id, bucketing key (its first distinct_id) and properties. */
export interface ScannedPerson {
  personId: number;
  distinctId: string;
  properties: Record<string, unknown>;
}

export function createPersonScan(pool: Pool) {
  return {
    /** Pages of at most `pageSize` persons, by id. */
    async *persons(projectId: number, pageSize = 10_000): AsyncGenerator<ScannedPerson[]> {
      for (let after = 0; ; ) {
        const { rows } = await pool.query<{ id: string; bucketing_key: string; properties: Record<string, unknown> }>(
          'SELECT id, bucketing_key, properties FROM persons WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $3',
          [projectId, after, pageSize],
        );
        if (rows.length === 0) return;
        yield rows.map((r) => ({ personId: Number(r.id), distinctId: r.bucketing_key, properties: r.properties }));
        if (rows.length < pageSize) return;
        after = Number(rows[rows.length - 1].id);
      }
    },
  };
}
