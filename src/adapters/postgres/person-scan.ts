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
    /** Pages of at most `pageSize` persons, by id; the next page is fetched while the caller works on this one. */
    async *persons(projectId: number, pageSize = 10_000): AsyncGenerator<ScannedPerson[]> {
      type Row = { id: string; bucketing_key: string; properties: Record<string, unknown> };
      const fetchAfter = (after: number): Promise<{ rows: Row[] }> =>
        pool.query<Row>(
          'SELECT id, bucketing_key, properties FROM persons WHERE project_id = $1 AND id > $2 ORDER BY id LIMIT $3',
          [projectId, after, pageSize],
        );
      let next: ReturnType<typeof fetchAfter> | null = fetchAfter(0);
      while (next) {
        const { rows }: { rows: Row[] } = await next;
        next = rows.length === pageSize ? fetchAfter(Number(rows[rows.length - 1].id)) : null;
        if (rows.length) yield rows.map((r) => ({ personId: Number(r.id), distinctId: r.bucketing_key, properties: r.properties }));
      }
    },
  };
}
