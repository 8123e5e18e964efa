import type { LockedPerson, PersonStatsDelta } from '../../domain/person.js';
import type { Db } from '../../ports/db.js';
import type { PersonStore } from '../../ports/person-store.js';
import { sql } from './db.js';
import { loadPersonDocs, loadPersonDocsPage } from './person-docs.js';

const ms = (d: Date | null) => (d ? d.getTime() : null);

/** Advisory lock classes (two-int form): identity changes vs. a Redis identity rebuild. */
const IDENTITY_LOCK = 0x5b1d;
const REBUILD_LOCK = 0x5b1e;
const lockKey = (projectId: number) => projectId % 2_147_483_647;

/** Persons and their distinct ids (PRODUCT.md 2, 4, 5). Every query filters by project. */
export function createPersonStore(): PersonStore {
  async function mappings(db: Db, projectId: number, distinctIds: readonly string[]): Promise<Map<string, number>> {
    if (distinctIds.length === 0) return new Map();
    const { rows } = await sql(db).query<{ distinct_id: string; person_id: number }>(
      'SELECT distinct_id, person_id FROM person_distinct_ids WHERE project_id = $1 AND distinct_id = ANY($2::text[])',
      [projectId, distinctIds],
    );
    return new Map(rows.map((r) => [r.distinct_id, r.person_id]));
  }

  /**
   * Creates one person per id (bucketing key = that id) and maps the id to it, in id order.
   * An id a concurrent transaction mapped first keeps that mapping: our person for it is
   * deleted again. Returns the ids this call mapped, id -> new person id.
   */
  async function createFor(db: Db, projectId: number, distinctIds: readonly string[]): Promise<Map<string, number>> {
    if (distinctIds.length === 0) return new Map();
    const { rows: persons } = await sql(db).query<{ id: number; bucketing_key: string }>(
      `INSERT INTO persons (project_id, bucketing_key)
       SELECT $1, d FROM unnest($2::text[]) AS d RETURNING id, bucketing_key`,
      [projectId, distinctIds],
    );
    const pidOf = new Map(persons.map((r) => [r.bucketing_key, r.id]));
    const { rows: won } = await sql(db).query<{ distinct_id: string; person_id: number }>(
      `INSERT INTO person_distinct_ids (project_id, distinct_id, person_id)
       SELECT $1, d, p FROM unnest($2::text[], $3::bigint[]) AS t(d, p) ORDER BY d COLLATE "C"
       ON CONFLICT (project_id, distinct_id) DO NOTHING RETURNING distinct_id, person_id`,
      [projectId, distinctIds, distinctIds.map((d) => pidOf.get(d)!)],
    );
    const created = new Map(won.map((r) => [r.distinct_id, r.person_id]));
    const losers = distinctIds.filter((d) => !created.has(d)).map((d) => pidOf.get(d)!);
    if (losers.length) await sql(db).query('DELETE FROM persons WHERE project_id = $1 AND id = ANY($2::bigint[])', [projectId, losers]);
    return created;
  }

  /**
   * Maps every id to a person, creating persons for unseen ids, then locks those persons
   * (FOR UPDATE, in id order). Persons that vanished meanwhile (merged away by an alias,
   * erased by `$delete`) are resolved again. Returns id -> person id and the created ones.
   */
  async function ensureAndLock(db: Db, projectId: number, distinctIds: readonly string[]): Promise<{ byDid: Map<string, number>; created: Map<number, string> }> {
    const byDid = new Map<string, number>();
    const created = new Map<number, string>();
    let pending = [...new Set(distinctIds)];
    const locked = new Set<number>();
    for (let round = 0; pending.length > 0; round++) {
      if (round >= 5) throw Object.assign(new Error('persons keep changing under this batch; retry'), { code: '40001' });
      const found = await mappings(db, projectId, pending);
      const missing = pending.filter((d) => !found.has(d));
      for (const [d, pid] of await createFor(db, projectId, missing)) {
        found.set(d, pid);
        created.set(pid, d);
      }
      const unresolved = pending.filter((d) => !found.has(d));
      const toLock = [...new Set([...found.values()])].filter((id) => !locked.has(id));
      const { rows } = await sql(db).query<{ id: number }>(
        'SELECT id FROM persons WHERE project_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE',
        [projectId, toLock],
      );
      for (const r of rows) locked.add(r.id);
      pending = unresolved;
      for (const [d, pid] of found) {
        if (locked.has(pid)) byDid.set(d, pid);
        else pending.push(d);
      }
    }
    return { byDid, created };
  }

  return {
    mappings,
    createFor,
    ensureAndLock,

    /** Adds one batch's stats; returns person id -> new version (µs). */
    async addStats(db: Db, projectId: number, deltas: readonly PersonStatsDelta[]): Promise<Map<number, number>> {
      if (deltas.length === 0) return new Map();
      const { rows } = await sql(db).query<{ id: number; version: number }>(
        `UPDATE persons p
            SET first_seen = LEAST(p.first_seen, to_timestamp(s.f / 1000.0)),
                last_seen = GREATEST(p.last_seen, to_timestamp(s.l / 1000.0)),
                event_count = p.event_count + s.n, updated_at = clock_timestamp()
           FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) AS s(id, n, f, l)
          WHERE p.project_id = $1 AND p.id = s.id
          RETURNING p.id, (extract(epoch FROM p.updated_at) * 1000000)::bigint AS version`,
        [projectId, deltas.map((d) => d.id), deltas.map((d) => d.count), deltas.map((d) => d.firstMs), deltas.map((d) => d.lastMs)],
      );
      return new Map(rows.map((r) => [r.id, r.version]));
    },

    /** Locks persons FOR UPDATE in id order and reads them; vanished ids are absent. */
    async lockRows(db: Db, projectId: number, personIds: readonly number[]): Promise<Map<number, LockedPerson>> {
      const { rows } = await sql(db).query<{
        id: number; bucketing_key: string; properties: Record<string, unknown>; set_once_at: Record<string, number>;
        is_identified: boolean; first_seen: Date | null; last_seen: Date | null; event_count: number;
      }>(
        `SELECT id, bucketing_key, properties, set_once_at, is_identified, first_seen, last_seen, event_count
           FROM persons WHERE project_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE`,
        [projectId, [...new Set(personIds)]],
      );
      return new Map(rows.map((r) => [r.id, {
        id: r.id, bucketingKey: r.bucketing_key, properties: r.properties, setOnceAt: r.set_once_at, identified: r.is_identified,
        firstSeen: ms(r.first_seen), lastSeen: ms(r.last_seen), eventCount: r.event_count,
      }]));
    },

    /** Writes new properties (and `$set_once` times) of several persons in one statement. */
    async writeProperties(db: Db, projectId: number, rows: ReadonlyArray<{ id: number; properties: Record<string, unknown>; setOnceAt: Record<string, number> }>): Promise<void> {
      if (rows.length === 0) return;
      await sql(db).query(
        `UPDATE persons p SET properties = r.p, set_once_at = r.s, updated_at = clock_timestamp()
           FROM json_to_recordset($2::json) AS r(id bigint, p jsonb, s jsonb)
          WHERE p.project_id = $1 AND p.id = r.id`,
        [projectId, JSON.stringify(rows.map((r) => ({ id: r.id, p: r.properties, s: r.setOnceAt })))],
      );
    },

    /** Creates an identified person holding nothing yet (alias of two unseen ids). */
    async insertPerson(db: Db, projectId: number, bucketingKey: string, identified: boolean): Promise<number> {
      const { rows } = await sql(db).query<{ id: number }>(
        'INSERT INTO persons (project_id, bucketing_key, is_identified) VALUES ($1, $2, $3) RETURNING id',
        [projectId, bucketingKey, identified],
      );
      return rows[0].id;
    },

    /** Maps ids to a person; returns the ids mapped now (an id already mapped is left alone). */
    async attach(db: Db, projectId: number, personId: number, distinctIds: readonly string[]): Promise<string[]> {
      const { rows } = await sql(db).query<{ distinct_id: string }>(
        `INSERT INTO person_distinct_ids (project_id, distinct_id, person_id)
         SELECT $1, d, $2 FROM unnest($3::text[]) AS d ORDER BY d COLLATE "C"
         ON CONFLICT (project_id, distinct_id) DO NOTHING RETURNING distinct_id`,
        [projectId, personId, distinctIds],
      );
      return rows.map((r) => r.distinct_id);
    },

    async setIdentified(db: Db, projectId: number, personId: number): Promise<void> {
      await sql(db).query('UPDATE persons SET is_identified = true, updated_at = clock_timestamp() WHERE project_id = $1 AND id = $2 AND NOT is_identified', [projectId, personId]);
    },

    /**
     * Merges person `from` into `into` (alias): distinct ids move, `into` gets the merged
     * properties, the earlier first_seen, the later last_seen and the summed event_count,
     * and `from` is deleted. Both rows must be locked. Returns the ids that moved.
     */
    async merge(db: Db, projectId: number, from: number, into: number, merged: { properties: Record<string, unknown>; setOnceAt: Record<string, number> }): Promise<string[]> {
      const { rows } = await sql(db).query<{ distinct_id: string }>(
        'UPDATE person_distinct_ids SET person_id = $3 WHERE project_id = $1 AND person_id = $2 RETURNING distinct_id',
        [projectId, from, into],
      );
      await sql(db).query(
        `UPDATE persons i SET properties = $4::jsonb, set_once_at = $5::jsonb, is_identified = true,
                first_seen = LEAST(i.first_seen, f.first_seen), last_seen = GREATEST(i.last_seen, f.last_seen),
                event_count = i.event_count + f.event_count, updated_at = clock_timestamp()
           FROM persons f WHERE i.project_id = $1 AND i.id = $3 AND f.project_id = $1 AND f.id = $2`,
        [projectId, from, into, JSON.stringify(merged.properties), JSON.stringify(merged.setOnceAt)],
      );
      await sql(db).query('DELETE FROM persons WHERE project_id = $1 AND id = $2', [projectId, from]);
      return rows.map((r) => r.distinct_id);
    },

    /** Deletes a person (GDPR erasure) with its distinct ids and its history; returns the ids it held. */
    async remove(db: Db, projectId: number, personId: number): Promise<string[]> {
      const { rows } = await sql(db).query<{ distinct_id: string }>(
        'DELETE FROM person_distinct_ids WHERE project_id = $1 AND person_id = $2 RETURNING distinct_id',
        [projectId, personId],
      );
      await sql(db).query('DELETE FROM persons WHERE project_id = $1 AND id = $2', [projectId, personId]);
      // Erasure leaves no history of the person either (docs/history.md): its intervals, property and identity history.
      const dids = rows.map((r) => r.distinct_id);
      await sql(db).query('DELETE FROM cohort_membership_history WHERE project_id = $1 AND (person_id = $2 OR distinct_id = ANY($3::text[]))', [projectId, personId, dids]);
      await sql(db).query('DELETE FROM person_history WHERE project_id = $1 AND person_id = $2', [projectId, personId]);
      await sql(db).query('DELETE FROM identity_history WHERE project_id = $1 AND (person_id = $2 OR distinct_id = ANY($3::text[]))', [projectId, personId, dids]);
      return dids;
    },

    /** All distinct ids of each person, sorted. */
    async distinctIdsOf(db: Db, projectId: number, personIds: readonly number[]): Promise<Map<number, string[]>> {
      const out = new Map<number, string[]>(personIds.map((id) => [id, []]));
      if (personIds.length === 0) return out;
      const { rows } = await sql(db).query<{ person_id: number; distinct_id: string }>(
        `SELECT person_id, distinct_id FROM person_distinct_ids
          WHERE project_id = $1 AND person_id = ANY($2::bigint[]) ORDER BY distinct_id COLLATE "C"`,
        [projectId, personIds],
      );
      for (const r of rows) out.get(r.person_id)?.push(r.distinct_id);
      return out;
    },

    docs: loadPersonDocs,
    docsPage: loadPersonDocsPage,

    /** Person stats for the admin read; times are unix ms. */
    async stats(db: Db, projectId: number, personId: number): Promise<(LockedPerson & { createdAt: number }) | null> {
      const { rows } = await sql(db).query<{
        id: number; bucketing_key: string; properties: Record<string, unknown>; set_once_at: Record<string, number>;
        is_identified: boolean; first_seen: Date | null; last_seen: Date | null; event_count: number; created_at: Date;
      }>(
        `SELECT id, bucketing_key, properties, set_once_at, is_identified, first_seen, last_seen, event_count, created_at
           FROM persons WHERE project_id = $1 AND id = $2`,
        [projectId, personId],
      );
      const r = rows[0];
      if (!r) return null;
      return {
        id: r.id, bucketingKey: r.bucketing_key, properties: r.properties, setOnceAt: r.set_once_at, identified: r.is_identified,
        firstSeen: ms(r.first_seen), lastSeen: ms(r.last_seen), eventCount: r.event_count, createdAt: r.created_at.getTime(),
      };
    },

    /** Taken (shared) by transactions that move or remove distinct ids; a rebuild waits for them. */
    async lockIdentityShared(db: Db, projectId: number): Promise<void> {
      await sql(db).query('SELECT pg_advisory_xact_lock_shared($1, $2)', [IDENTITY_LOCK, lockKey(projectId)]);
    },

    /**
     * For a Redis identity rebuild: false when another process is rebuilding this project;
     * otherwise waits until no alias or erasure is in flight and blocks new ones until commit.
     */
    async lockIdentityRebuild(db: Db, projectId: number): Promise<boolean> {
      const { rows } = await sql(db).query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS ok', [REBUILD_LOCK, lockKey(projectId)]);
      if (!rows[0].ok) return false;
      await sql(db).query('SELECT pg_advisory_xact_lock($1, $2)', [IDENTITY_LOCK, lockKey(projectId)]);
      return true;
    },
  };
}

