import type { StaticMember } from '../../domain/cohort.js';
import type { Db } from '../../ports/db.js';
import type { StaticMemberStore } from '../../ports/static-member-store.js';
import { asDb, sql } from './db.js';
import type { Pool } from './pool.js';

/**
 * The distinct_id lists of static cohorts (static_cohort_members). Batch statements take
 * the ids as one text[] parameter and join on unnest(), so 100,000 ids are one round trip
 * with a hash or index join (never `= ANY` over a long array per row).
 */
export function createStaticMemberStore(pool: Pool): StaticMemberStore {
  const pooled = asDb(pool);
  return {
    /** Inserts ids not listed yet; returns how many were new. `ids` must be unique. */
    async add(projectId: number, cohortId: number, ids: string[], db: Db = pooled): Promise<number> {
      const { rowCount } = await sql(db).query(
        `INSERT INTO static_cohort_members (project_id, cohort_id, distinct_id)
         SELECT $1, $2, d FROM unnest($3::text[]) AS u(d) ON CONFLICT DO NOTHING`,
        [projectId, cohortId, ids],
      );
      return rowCount ?? 0;
    },

    /** Deletes the listed ids; returns how many were members. */
    async remove(projectId: number, cohortId: number, ids: string[], db: Db = pooled): Promise<number> {
      const { rowCount } = await sql(db).query(
        `DELETE FROM static_cohort_members m USING unnest($3::text[]) AS u(d)
          WHERE m.project_id = $1 AND m.cohort_id = $2 AND m.distinct_id = u.d`,
        [projectId, cohortId, ids],
      );
      return rowCount ?? 0;
    },

    /** Deletes every member not in `ids`; returns how many went. */
    async removeOthers(projectId: number, cohortId: number, ids: string[], db: Db = pooled): Promise<number> {
      const { rowCount } = await sql(db).query(
        `DELETE FROM static_cohort_members m
          WHERE m.project_id = $1 AND m.cohort_id = $2
            AND NOT EXISTS (SELECT 1 FROM unnest($3::text[]) AS u(d) WHERE u.d = m.distinct_id)`,
        [projectId, cohortId, ids],
      );
      return rowCount ?? 0;
    },

    async count(projectId: number, cohortId: number, db: Db = pooled): Promise<number> {
      const { rows } = await sql(db).query<{ n: number }>(
        'SELECT count(*)::int AS n FROM static_cohort_members WHERE project_id = $1 AND cohort_id = $2',
        [projectId, cohortId],
      );
      return rows[0].n;
    },

    /** How many of `ids` (unique) have no person yet. */
    async countUnseen(projectId: number, ids: string[], db: Db = pooled): Promise<number> {
      const { rows } = await sql(db).query<{ n: number }>(
        `SELECT count(*)::int AS n FROM unnest($2::text[]) AS u(d)
          WHERE NOT EXISTS (SELECT 1 FROM person_distinct_ids i WHERE i.project_id = $1 AND i.distinct_id = u.d)`,
        [projectId, ids],
      );
      return rows[0].n;
    },

    async removeEverywhere(db: Db, projectId: number, ids: readonly string[]): Promise<number> {
      if (ids.length === 0) return 0;
      const { rowCount } = await sql(db).query('DELETE FROM static_cohort_members WHERE project_id = $1 AND distinct_id = ANY($2::text[])', [projectId, ids]);
      return rowCount ?? 0;
    },

    /** Keyset page ordered by distinct_id, each with its person if seen. */
    async list(projectId: number, cohortId: number, afterDistinctId: string | null, limit: number): Promise<StaticMember[]> {
      const { rows } = await pool.query<{ distinct_id: string; person_id: number | null; added_at: Date }>(
        `SELECT m.distinct_id, i.person_id, m.added_at
           FROM static_cohort_members m
           LEFT JOIN person_distinct_ids i ON i.project_id = m.project_id AND i.distinct_id = m.distinct_id
          WHERE m.project_id = $1 AND m.cohort_id = $2 AND ($3::text IS NULL OR m.distinct_id > $3)
          ORDER BY m.distinct_id LIMIT $4`,
        [projectId, cohortId, afterDistinctId, limit],
      );
      return rows.map((r) => ({ distinctId: r.distinct_id, personId: r.person_id, addedAt: r.added_at.toISOString() }));
    },

    /** Persons of the listed ids (unique), and the listed ids without a person yet. */
    async resolve(projectId: number, cohortId: number): Promise<{ personIds: number[]; unseen: string[] }> {
      const { rows } = await pool.query<[string, number | null]>({
        text: `SELECT m.distinct_id, i.person_id
                 FROM static_cohort_members m
                 LEFT JOIN person_distinct_ids i ON i.project_id = m.project_id AND i.distinct_id = m.distinct_id
                WHERE m.project_id = $1 AND m.cohort_id = $2`,
        values: [projectId, cohortId],
        rowMode: 'array',
      });
      const persons = new Set<number>();
      const unseen: string[] = [];
      for (const [distinctId, personId] of rows) {
        if (personId === null) unseen.push(distinctId);
        else persons.add(Number(personId));
      }
      return { personIds: [...persons], unseen };
    },

    /** Non-archived static cohorts listing any of `ids`: cohort id -> the listed ids among them. */
    async cohortsListing(projectId: number, ids: string[]): Promise<Map<number, string[]>> {
      const { rows } = await pool.query<{ cohort_id: number; distinct_id: string }>(
        `SELECT m.cohort_id, m.distinct_id FROM static_cohort_members m
           JOIN cohorts c ON c.id = m.cohort_id AND c.project_id = m.project_id
          WHERE m.project_id = $1 AND m.distinct_id = ANY($2::text[]) AND c.state IN ('building', 'active')`,
        [projectId, ids],
      );
      const out = new Map<number, string[]>();
      for (const r of rows) out.set(r.cohort_id, [...(out.get(r.cohort_id) ?? []), r.distinct_id]);
      return out;
    },
  };
}

