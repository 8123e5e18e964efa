/**
 * Reads the history tables as of one instant (ports/history-reader.ts; migration 010), in one
 * REPEATABLE READ READ ONLY transaction so the parts agree. Each part is "the newest row at or
 * before the instant" over an index ordered by time.
 */
import type { CohortInfo, CohortState } from '../../domain/cohort.js';
import type { DefinitionKind } from '../../domain/definition.js';
import type { Tier } from '../../domain/project.js';
import type { HistoryReader, PastState } from '../../ports/history-reader.js';
import type { Pool, PoolClient } from './pool.js';

type Person = NonNullable<PastState['person']>;

async function personAt(client: PoolClient, projectId: number, distinctId: string, at: Date): Promise<Omit<Person, 'via' | 'surveyHistory'> | null> {
  const { rows } = await client.query<{ person_id: string | null; bucketing_key: string; properties: Record<string, unknown> | null; identified: boolean }>(
    `SELECT i.person_id, h.bucketing_key, h.properties, h.identified
       FROM (SELECT person_id FROM identity_history WHERE project_id = $1 AND distinct_id = $2 AND at <= $3 ORDER BY at DESC, id DESC LIMIT 1) i
       LEFT JOIN LATERAL (SELECT bucketing_key, properties, identified FROM person_history
                           WHERE project_id = $1 AND person_id = i.person_id AND at <= $3 ORDER BY at DESC, id DESC LIMIT 1) h ON true`,
    [projectId, distinctId, at],
  );
  const r = rows[0];
  if (!r || r.person_id === null || r.properties === null) return null;
  return { id: Number(r.person_id), bucketingKey: r.bucketing_key, properties: r.properties, identified: r.identified };
}

export function createHistoryReader(pool: Pool): HistoryReader {
  return {
    async stateAt(projectId, distinctId, anonId, atMs) {
      const at = new Date(atMs);
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const p = await client.query<{ tier: Tier; history_since: Date; history_pruned_before: Date | null }>(
          'SELECT tier, history_since, history_pruned_before FROM projects WHERE id = $1',
          [projectId],
        );
        if (!p.rows[0]) {
          await client.query('COMMIT');
          return null;
        }
        const defs = await client.query<{ kind: DefinitionKind; key: string; version: number | null; definition: Record<string, unknown> | null }>(
          `SELECT DISTINCT ON (kind, key) kind, key, version, definition FROM definition_history
            WHERE project_id = $1 AND at <= $2 ORDER BY kind, key, at DESC, id DESC`,
          [projectId, at],
        );
        const cohorts = await client.query<{ cohort_id: string; key: string; state: CohortState; version: number; as_of: Date | null; history_from: Date | null }>(
          `SELECT h.*, c.history_from FROM (
             SELECT DISTINCT ON (cohort_id) cohort_id, key, state, version, as_of FROM cohort_history
              WHERE project_id = $1 AND at <= $2 ORDER BY cohort_id, at DESC, id DESC) h
             LEFT JOIN cohorts c ON c.id = h.cohort_id`,
          [projectId, at],
        );
        let person: PastState['person'] = null;
        // As the handshake resolves: the distinct id's person, else the anon id's.
        const byId = await personAt(client, projectId, distinctId, at);
        const byAnon = byId || !anonId || anonId === distinctId ? null : await personAt(client, projectId, anonId, at);
        const found = byId ?? byAnon;
        const via = byId ? 'distinct_id' : 'anon_id';
        const dids = anonId && anonId !== distinctId ? [distinctId, anonId] : [distinctId];
        let surveyHistory = { answered: [] as string[], lastShownAt: null as number | null };
        if (found) {
          // The survey history as the identity map would have held it: events of the ids the person held then, received by then.
          const s = await client.query<{ answered: string[] | null; last_shown: string | null }>(
            `WITH held AS (
               SELECT distinct_id FROM (
                 SELECT DISTINCT ON (distinct_id) distinct_id, person_id FROM identity_history
                  WHERE project_id = $1 AND at <= $3
                    AND distinct_id IN (SELECT distinct_id FROM identity_history WHERE project_id = $1 AND person_id = $2)
                  ORDER BY distinct_id, at DESC, id DESC) x
                WHERE person_id = $2)
             SELECT array_agg(DISTINCT e.properties->>'$survey_key') FILTER (WHERE e.event = 'survey sent') AS answered,
                    (extract(epoch FROM max(e.time) FILTER (WHERE e.event = 'survey shown')) * 1000)::bigint AS last_shown
               FROM held JOIN events e ON e.project_id = $1 AND e.distinct_id = held.distinct_id
              WHERE e.event IN ('survey sent', 'survey shown') AND e.received_at <= $3 AND jsonb_typeof(e.properties->'$survey_key') = 'string'`,
            [projectId, found.id, at],
          );
          surveyHistory = { answered: (s.rows[0]?.answered ?? []).sort(), lastShownAt: s.rows[0]?.last_shown ? Number(s.rows[0].last_shown) : null };
          person = { ...found, via, surveyHistory };
        }
        const members = await client.query<{ cohort_id: string }>(
          `SELECT DISTINCT cohort_id FROM cohort_membership_history
            WHERE project_id = $1 AND (person_id = $2 OR distinct_id = ANY($3::text[]))
              AND entered_at <= $4 AND (left_at IS NULL OR left_at > $4)`,
          [projectId, person?.id ?? null, dids, at],
        );
        const responses = await client.query<{ key: string; n: string }>(
          `SELECT properties->>'$survey_key' AS key, count(*) AS n FROM events
            WHERE project_id = $1 AND event = 'survey sent' AND received_at <= $2 AND jsonb_typeof(properties->'$survey_key') = 'string'
            GROUP BY 1`,
          [projectId, at],
        );
        await client.query('COMMIT');
        const live = cohorts.rows;
        return {
          projectId,
          tier: p.rows[0].tier,
          historySince: p.rows[0].history_since.getTime(),
          prunedBefore: p.rows[0].history_pruned_before ? p.rows[0].history_pruned_before.getTime() : null,
          definitions: defs.rows.filter((d) => d.definition !== null).map((d) => ({ kind: d.kind, key: d.key, version: d.version ?? 0, definition: d.definition! })),
          cohorts: live.map((c): CohortInfo => ({ id: Number(c.cohort_id), key: c.key, state: c.state, version: c.version, asOf: c.as_of ? c.as_of.getTime() : null })),
          cohortHistoryFrom: new Map(live.map((c) => [Number(c.cohort_id), c.history_from ? c.history_from.getTime() : null])),
          person,
          memberOf: new Set(members.rows.map((r) => Number(r.cohort_id))),
          surveyResponses: new Map(responses.rows.map((r) => [r.key, Number(r.n)])),
        };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
  };
}
