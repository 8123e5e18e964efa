import type { Db } from '../../ports/db.js';
import type { EventCount, EventStore, EventToStore } from '../../ports/event-store.js';
import { sql } from './db.js';

/**
 * Events (PRODUCT.md 4.1): immutable rows keyed by `(project_id, insert_id)`. `events` is
 * partitioned by month (migrations/005_events_partitioned.sql), so the insert-id uniqueness
 * lives in `event_ids` (unpartitioned): an event is stored only when its id is new there.
 */
export function createEventStore(): EventStore {
  return {
    /**
     * Stores a batch in ONE statement (the batch travels as one JSON parameter): its insert
     * ids go into `event_ids`, and only the rows whose id was new there into `events`. Rows
     * whose `(project, insert_id)` exists are skipped, also when a concurrent batch holds the
     * same id (the primary key makes it wait, then skip). Rows go in insert_id order so two
     * batches sharing ids lock them in the same order (no deadlock).
     * Returns the insert ids actually stored. Callers remove in-batch duplicates first.
     */
    async insert(db: Db, projectId: number, events: readonly EventToStore[]): Promise<Set<string>> {
      if (events.length === 0) return new Set();
      const parts: string[] = [];
      for (const e of events) {
        parts.push(`{"e":${JSON.stringify(e.event)},"d":${JSON.stringify(e.distinctId)},"t":${e.time},"i":${JSON.stringify(e.insertId)},"p":${e.propertiesJson}}`);
      }
      const { rows } = await sql(db).query<{ insert_id: string }>(
        `WITH input AS (
           SELECT r.e, r.d, to_timestamp(r.t / 1000.0) AS t, r.i, r.p
             FROM json_to_recordset($2::json) AS r(e text, d text, t bigint, i text, p jsonb)
         ), fresh AS (
           INSERT INTO event_ids (project_id, insert_id, time)
           SELECT $1, i, t FROM input ORDER BY i
           ON CONFLICT (project_id, insert_id) DO NOTHING
           RETURNING insert_id
         )
         INSERT INTO events (project_id, event, distinct_id, time, insert_id, properties)
         SELECT $1, input.e, input.d, input.t, input.i, input.p FROM input JOIN fresh ON fresh.insert_id = input.i
         RETURNING insert_id`,
        [projectId, `[${parts.join(',')}]`],
      );
      return new Set(rows.map((r) => r.insert_id));
    },

    /**
     * Deletes every event of these distinct ids, and their insert ids (which may carry the
     * person's ids: exposures' do), for a GDPR erasure. Returns how many events.
     */
    async deleteForDistinctIds(db: Db, projectId: number, distinctIds: readonly string[]): Promise<number> {
      if (distinctIds.length === 0) return 0;
      const { rows } = await sql(db).query<{ n: string }>(
        `WITH gone AS (DELETE FROM events WHERE project_id = $1 AND distinct_id = ANY($2::text[]) RETURNING insert_id),
              ids AS (DELETE FROM event_ids WHERE project_id = $1 AND insert_id IN (SELECT insert_id FROM gone))
         SELECT count(*) AS n FROM gone`,
        [projectId, distinctIds],
      );
      return Number(rows[0].n);
    },

    /** Event counts by name over these distinct ids, most frequent first (ties by name). */
    async countsByName(db: Db, projectId: number, distinctIds: readonly string[], limit: number): Promise<EventCount[]> {
      const { rows } = await sql(db).query<{ event: string; n: number }>(
        `SELECT event, count(*)::bigint AS n FROM events
          WHERE project_id = $1 AND distinct_id = ANY($2::text[])
          GROUP BY event ORDER BY n DESC, event LIMIT $3`,
        [projectId, distinctIds, limit],
      );
      return rows.map((r) => ({ event: r.event, count: r.n }));
    },

    async timeOf(db: Db, projectId: number, insertId: string): Promise<number | null> {
      const { rows } = await sql(db).query<{ time: Date }>('SELECT time FROM event_ids WHERE project_id = $1 AND insert_id = $2', [projectId, insertId]);
      return rows[0] ? rows[0].time.getTime() : null;
    },

    /** Total `survey sent` events per `$survey_key` (rebuilds the response counters). */
    async surveyResponseCounts(db: Db, projectId: number): Promise<Map<string, number>> {
      const { rows } = await sql(db).query<{ key: string; n: number }>(
        `SELECT properties->>'$survey_key' AS key, count(*)::bigint AS n FROM events
          WHERE project_id = $1 AND event = 'survey sent' AND jsonb_typeof(properties->'$survey_key') = 'string'
          GROUP BY 1`,
        [projectId],
      );
      return new Map(rows.map((r) => [r.key, r.n]));
    },
  };
}

