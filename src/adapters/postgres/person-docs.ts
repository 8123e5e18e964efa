/**
 * Identity-map documents read from PostgreSQL (domain/person.ts `PersonDoc`): `version` is
 * `updated_at` in µs, set with clock_timestamp() under the row lock.
 */
import type { PersonDoc } from '../../domain/person.js';
import type { Db } from '../../ports/db.js';
import { sql } from './db.js';

const SURVEY_LATERAL = `LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT e.properties->>'$survey_key') FILTER (WHERE e.event = 'survey sent') AS answered,
           (extract(epoch FROM max(e.time) FILTER (WHERE e.event = 'survey shown')) * 1000)::bigint AS last_shown
      FROM person_distinct_ids d
      JOIN events e ON e.project_id = d.project_id AND e.distinct_id = d.distinct_id
     WHERE d.project_id = p.project_id AND d.person_id = p.id
       AND e.event IN ('survey sent', 'survey shown') AND jsonb_typeof(e.properties->'$survey_key') = 'string'
  ) s ON true`;

const DOC_COLUMNS = `p.id, p.bucketing_key, p.properties::text AS properties, p.is_identified,
  (extract(epoch FROM p.updated_at) * 1000000)::bigint AS version, s.answered, s.last_shown`;

interface DocRow {
  id: number;
  bucketing_key: string;
  properties: string;
  is_identified: boolean;
  version: number;
  answered: string[] | null;
  last_shown: number | null;
}

const toDoc = (r: DocRow): PersonDoc => ({
  id: r.id,
  bucketingKey: r.bucketing_key,
  propertiesJson: r.properties,
  identified: r.is_identified,
  version: r.version,
  surveyHistory: { answered: (r.answered ?? []).sort(), lastShownAt: r.last_shown },
});

/** Identity-cache documents of these persons, as committed now (one statement). */
export async function loadPersonDocs(db: Db, projectId: number, personIds: readonly number[]): Promise<PersonDoc[]> {
  if (personIds.length === 0) return [];
  const { rows } = await sql(db).query<DocRow>(
    `SELECT ${DOC_COLUMNS} FROM persons p ${SURVEY_LATERAL} WHERE p.project_id = $1 AND p.id = ANY($2::bigint[])`,
    [projectId, [...new Set(personIds)]],
  );
  return rows.map(toDoc);
}

/** One keyset page of a project's persons as documents, with their distinct ids (rebuilds). */
export async function loadPersonDocsPage(db: Db, projectId: number, afterId: number, limit: number): Promise<Array<PersonDoc & { distinctIds: string[] }>> {
  const { rows } = await sql(db).query<DocRow & { dids: string[] }>(
    `SELECT ${DOC_COLUMNS},
            ARRAY(SELECT distinct_id FROM person_distinct_ids x WHERE x.project_id = p.project_id AND x.person_id = p.id) AS dids
       FROM persons p ${SURVEY_LATERAL}
      WHERE p.project_id = $1 AND p.id > $2 ORDER BY p.id LIMIT $3`,
    [projectId, afterId, limit],
  );
  return rows.map((r) => ({ ...toDoc(r), distinctIds: r.dids }));
}
