/**
 * Membership history in PostgreSQL (ports/membership-history.ts, docs/history.md): one row
 * per membership interval in `cohort_membership_history`, at most one open interval per
 * member and cohort (partial unique indexes), so every write is idempotent.
 */
import type { MembershipChange, MembershipHistoryStore, MembershipInterval, VersionRecording } from '../../ports/membership-history.js';
import type { Queryable } from './db.js';
import { withTransaction, type Pool } from './pool.js';

/** Splits member strings into person ids and unseen distinct ids. */
function split(members: readonly string[]): { ids: string[]; dids: string[] } {
  const ids: string[] = [];
  const dids: string[] = [];
  for (const m of members) (m.startsWith('d:') ? dids : ids).push(m.startsWith('d:') ? m.slice(2) : m);
  return { ids, dids };
}

const ENTER_PERSONS = `
  INSERT INTO cohort_membership_history (project_id, cohort_id, person_id, entered_at, entered_version, entered_via)
  SELECT $1, $2, p, $4, $5, $6 FROM unnest($3::bigint[]) AS p
  ON CONFLICT (cohort_id, person_id) WHERE left_at IS NULL AND person_id IS NOT NULL DO NOTHING`;
const ENTER_DISTINCT = `
  INSERT INTO cohort_membership_history (project_id, cohort_id, distinct_id, entered_at, entered_version, entered_via)
  SELECT $1, $2, d, $4, $5, $6 FROM unnest($3::text[]) AS d
  ON CONFLICT (cohort_id, distinct_id) WHERE left_at IS NULL AND distinct_id IS NOT NULL DO NOTHING`;
const LEAVE = `
  UPDATE cohort_membership_history SET left_at = $5, left_version = $6, left_via = $7
   WHERE cohort_id = $2 AND project_id = $1 AND left_at IS NULL
     AND (person_id = ANY($3::bigint[]) OR distinct_id = ANY($4::text[]))`;

async function apply(q: Queryable, projectId: number, cohortId: number, c: { entered: readonly string[]; left: readonly string[]; at: Date; version: number; via: string; enteredVia?: string }) {
  let entered = 0;
  let left = 0;
  const e = split(c.entered);
  const l = split(c.left);
  if (e.ids.length) entered += (await q.query(ENTER_PERSONS, [projectId, cohortId, e.ids, c.at, c.version, c.enteredVia ?? c.via])).rowCount ?? 0;
  if (e.dids.length) entered += (await q.query(ENTER_DISTINCT, [projectId, cohortId, e.dids, c.at, c.version, c.enteredVia ?? c.via])).rowCount ?? 0;
  if (l.ids.length || l.dids.length) left += (await q.query(LEAVE, [projectId, cohortId, l.ids, l.dids, c.at, c.version, c.via])).rowCount ?? 0;
  return { entered, left };
}

interface IntervalRow {
  cohort_id: string;
  person_id: string | null;
  distinct_id: string | null;
  entered_at: Date;
  entered_version: number;
  entered_via: MembershipInterval['enteredVia'];
  left_at: Date | null;
  left_version: number | null;
  left_via: MembershipInterval['leftVia'];
}

export const intervalOf = (r: IntervalRow): MembershipInterval => ({
  cohortId: Number(r.cohort_id),
  personId: r.person_id === null ? null : Number(r.person_id),
  distinctId: r.distinct_id,
  enteredAt: r.entered_at.getTime(),
  enteredVersion: r.entered_version,
  enteredVia: r.entered_via,
  leftAt: r.left_at ? r.left_at.getTime() : null,
  leftVersion: r.left_version,
  leftVia: r.left_via,
});

export function createMembershipHistoryStore(pool: Pool): MembershipHistoryStore {
  return {
    async recording(projectId, cohortId) {
      const { rows } = await pool.query<{ history_version: number | null; history_from: Date | null }>(
        'SELECT history_version, history_from FROM cohorts WHERE project_id = $1 AND id = $2',
        [projectId, cohortId],
      );
      return { version: rows[0]?.history_version ?? null, from: rows[0]?.history_from ? rows[0].history_from.getTime() : null };
    },

    async recordVersion(projectId, cohortId, r: VersionRecording) {
      const at = new Date(r.at);
      return withTransaction(pool, async (client) => {
        let counts = { entered: 0, left: 0 };
        if (r.mode === 'diff') {
          for await (const b of r.batches) {
            const n = await apply(client, projectId, cohortId, { ...b, at, version: r.version, via: r.via });
            counts = { entered: counts.entered + n.entered, left: counts.left + n.left };
          }
        } else {
          // Every member of the new version into a temporary table, then SQL compares it with the open intervals.
          await client.query('CREATE TEMP TABLE history_members (person_id bigint, distinct_id text) ON COMMIT DROP');
          for await (const b of r.batches) {
            const { ids, dids } = split(b.entered);
            await client.query(
              'INSERT INTO history_members (person_id, distinct_id) SELECT p, NULL FROM unnest($1::bigint[]) p UNION ALL SELECT NULL, d FROM unnest($2::text[]) d',
              [ids, dids],
            );
          }
          await client.query('CREATE INDEX ON history_members (person_id)');
          await client.query('CREATE INDEX ON history_members (distinct_id)');
          await client.query('ANALYZE history_members');
          const enteredVia = r.began ? 'recording_began' : r.via;
          let ins = 0;
          let upd = 0;
          // Persons and unseen distinct ids apart, so each comparison uses its open-interval index.
          for (const col of ['person_id', 'distinct_id'] as const) {
            ins += (await client.query(
              `INSERT INTO cohort_membership_history (project_id, cohort_id, ${col}, entered_at, entered_version, entered_via)
               SELECT $1, $2, m.${col}, $3, $4, $5 FROM history_members m
                WHERE m.${col} IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM cohort_membership_history h WHERE h.cohort_id = $2 AND h.left_at IS NULL AND h.${col} = m.${col})`,
              [projectId, cohortId, at, r.version, enteredVia],
            )).rowCount ?? 0;
            upd += (await client.query(
              `UPDATE cohort_membership_history h SET left_at = $3, left_version = $4, left_via = $5
                WHERE h.project_id = $1 AND h.cohort_id = $2 AND h.left_at IS NULL AND h.${col} IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM history_members m WHERE m.${col} = h.${col})`,
              [projectId, cohortId, at, r.version, r.via],
            )).rowCount ?? 0;
          }
          counts = { entered: ins, left: upd };
        }
        await client.query('UPDATE cohorts SET history_version = $3, history_from = COALESCE(history_from, $4) WHERE project_id = $1 AND id = $2', [projectId, cohortId, r.version, at]);
        return counts;
      });
    },

    async recordChanges(projectId, cohortId, c) {
      return withTransaction(pool, async (client) => {
        // Only the recorded live version: FOR SHARE keeps a concurrent recordVersion from moving it meanwhile.
        const { rows } = await client.query<{ history_version: number | null }>('SELECT history_version FROM cohorts WHERE project_id = $1 AND id = $2 FOR SHARE', [projectId, cohortId]);
        if (rows[0]?.history_version !== c.version) return { entered: 0, left: 0 };
        return apply(client, projectId, cohortId, { entered: c.entered, left: c.left, at: new Date(c.at), version: c.version, via: 'event' });
      });
    },

    async closePersons(projectId, personIds, at) {
      if (personIds.length === 0) return 0;
      const r = await pool.query(
        `UPDATE cohort_membership_history SET left_at = $3, left_via = 'alias'
          WHERE project_id = $1 AND person_id = ANY($2::bigint[]) AND left_at IS NULL`,
        [projectId, personIds, new Date(at)],
      );
      return r.rowCount ?? 0;
    },

    async prune(beforeMs) {
      const before = new Date(beforeMs);
      let n = 0;
      const run = async (text: string) => {
        n += (await pool.query(text, [before])).rowCount ?? 0;
      };
      await run('DELETE FROM cohort_membership_history WHERE left_at < $1');
      // as-of tables: a row older than the cutoff goes when a newer one at or before the cutoff replaces it
      for (const [table, entity] of [
        ['person_history', 'h.project_id = x.project_id AND h.person_id = x.person_id'],
        ['identity_history', 'h.project_id = x.project_id AND h.distinct_id = x.distinct_id'],
        ['definition_history', 'h.project_id = x.project_id AND h.kind = x.kind AND h.key = x.key'],
        ['cohort_history', 'h.cohort_id = x.cohort_id'],
      ] as const) {
        await run(`DELETE FROM ${table} h WHERE h.at < $1 AND EXISTS (SELECT 1 FROM ${table} x WHERE ${entity} AND x.at <= $1 AND (x.at, x.id) > (h.at, h.id))`);
      }
      // what was deleted before the cutoff (a person, an id, a definition) has nothing left to replay
      await run('DELETE FROM person_history WHERE at < $1 AND properties IS NULL');
      await run('DELETE FROM identity_history WHERE at < $1 AND person_id IS NULL');
      await run('DELETE FROM definition_history WHERE at < $1 AND definition IS NULL');
      await pool.query('UPDATE projects SET history_pruned_before = $1 WHERE history_since < $1 AND (history_pruned_before IS NULL OR history_pruned_before < $1)', [before]);
      return n;
    },

    async ofPerson(projectId, personId, distinctIds) {
      const { rows } = await pool.query<IntervalRow>(
        `SELECT cohort_id, person_id, distinct_id, entered_at, entered_version, entered_via, left_at, left_version, left_via
           FROM cohort_membership_history
          WHERE project_id = $1 AND (person_id = $2 OR distinct_id = ANY($3::text[]))
          ORDER BY entered_at DESC, id DESC`,
        [projectId, personId, distinctIds],
      );
      return rows.map(intervalOf);
    },

    async changes(projectId, cohortId, q) {
      const { rows } = await pool.query<{ kind: 'entered' | 'left'; at: Date; id: string; person_id: string | null; distinct_id: string | null; version: number | null; via: string }>(
        `SELECT * FROM (
           SELECT 'entered'::text AS kind, entered_at AS at, id, person_id, distinct_id, entered_version AS version, entered_via AS via
             FROM cohort_membership_history WHERE cohort_id = $2 AND project_id = $1 AND entered_at >= $3 AND entered_at < $4
           UNION ALL
           SELECT 'left', left_at, id, person_id, distinct_id, left_version, left_via
             FROM cohort_membership_history WHERE cohort_id = $2 AND project_id = $1 AND left_at >= $3 AND left_at < $4
         ) c
         WHERE $5::timestamptz IS NULL OR (c.at, c.id, c.kind) > ($5::timestamptz, $6::bigint, $7::text)
         ORDER BY c.at, c.id, c.kind LIMIT $8`,
        [projectId, cohortId, new Date(q.since), new Date(q.until), q.after ? new Date(q.after.at) : null, q.after?.id ?? 0, q.after?.kind ?? '', q.limit],
      );
      return rows.map((r): MembershipChange => ({
        kind: r.kind, at: r.at.getTime(), id: Number(r.id), personId: r.person_id === null ? null : Number(r.person_id), distinctId: r.distinct_id, version: r.version ?? 0, via: r.via,
      }));
    },
  };
}
