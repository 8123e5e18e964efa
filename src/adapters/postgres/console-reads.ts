/**
 * Read-only queries the admin console needs beyond the admin API's stores: a sample of a
 * project's persons (the "who flips" preview), how many of an upload's ids a static cohort
 * lists already (the upload dry run) and a person's last events. Nothing here writes.
 */
import type { Pool } from './pool.js';

import type { ConsoleReads, SampledPerson, StoredEvent } from '../../ports/console-reads.js';

export function createConsoleReads(pool: Pool): ConsoleReads {
  return {
    /**
     * Up to `limit` persons of a project, most recently seen first (the people a change
     * would reach soonest), each with all its distinct ids.
     */
    async samplePersons(projectId: number, limit: number): Promise<SampledPerson[]> {
      const { rows } = await pool.query<{ id: number; bucketing_key: string; properties: Record<string, unknown>; ids: string[] | null }>(
        `SELECT p.id, p.bucketing_key, p.properties,
                (SELECT array_agg(i.distinct_id ORDER BY i.distinct_id COLLATE "C")
                   FROM person_distinct_ids i WHERE i.project_id = p.project_id AND i.person_id = p.id) AS ids
           FROM persons p
          WHERE p.project_id = $1
          ORDER BY p.last_seen DESC NULLS LAST, p.id DESC
          LIMIT $2`,
        [projectId, limit],
      );
      return rows.map((r) => ({ id: r.id, bucketingKey: r.bucketing_key, properties: r.properties, distinctIds: r.ids ?? [] }));
    },

    /** How many persons the project has. */
    async personCount(projectId: number): Promise<number> {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM persons WHERE project_id = $1', [projectId]);
      return rows[0].n;
    },

    /** How many of `ids` (unique) the static cohort lists already. */
    async countListed(projectId: number, cohortId: number, ids: string[]): Promise<number> {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM static_cohort_members m JOIN unnest($3::text[]) AS u(d) ON m.distinct_id = u.d
          WHERE m.project_id = $1 AND m.cohort_id = $2`,
        [projectId, cohortId, ids],
      );
      return rows[0].n;
    },

    /** Every distinct id of the person holding `distinctId`, or null when no person holds it. */
    async distinctIdsOfHolder(projectId: number, distinctId: string): Promise<string[] | null> {
      const { rows } = await pool.query<{ distinct_id: string }>(
        `SELECT o.distinct_id FROM person_distinct_ids i
           JOIN person_distinct_ids o ON o.project_id = i.project_id AND o.person_id = i.person_id
          WHERE i.project_id = $1 AND i.distinct_id = $2 ORDER BY o.distinct_id COLLATE "C"`,
        [projectId, distinctId],
      );
      return rows.length ? rows.map((r) => r.distinct_id) : null;
    },

    /** Events of these distinct ids, newest first; `before` continues after a previous page's last event. */
    async lastEvents(projectId: number, distinctIds: string[], opts: { limit: number; before?: { time: number; id: number } }): Promise<StoredEvent[]> {
      const { rows } = await pool.query<{ id: number; event: string; distinct_id: string; time: Date; properties: Record<string, unknown> }>(
        `SELECT id, event, distinct_id, time, properties FROM events
          WHERE project_id = $1 AND distinct_id = ANY($2::text[])
            AND ($3::timestamptz IS NULL OR (time, id) < ($3::timestamptz, $4::bigint))
          ORDER BY time DESC, id DESC LIMIT $5`,
        [projectId, distinctIds, opts.before ? new Date(opts.before.time) : null, opts.before?.id ?? null, opts.limit],
      );
      return rows.map((r) => ({ id: r.id, event: r.event, distinctId: r.distinct_id, time: r.time.getTime(), properties: r.properties }));
    },
  };
}

