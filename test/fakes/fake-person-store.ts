import type { LockedPerson, PersonDoc, SurveyHistory } from '../../src/domain/person.js';
import type { PersonStore } from '../../src/ports/person-store.js';

/** A person row as the fake holds it. Times are unix ms; `version` is µs (updated_at). */
export interface FakePersonRow {
  id: number;
  projectId: number;
  bucketingKey: string;
  properties: Record<string, unknown>;
  setOnceAt: Record<string, number>;
  identified: boolean;
  firstSeen: number | null;
  lastSeen: number | null;
  eventCount: number;
  createdAt: number;
  version: number;
}

export interface FakePersonStoreOptions {
  /** where survey history comes from (the fake event store); none: nothing answered, never shown */
  events?: { surveyHistory(projectId: number, distinctIds: readonly string[]): SurveyHistory };
  /** unix ms, for created_at and versions (default Date.now) */
  now?: () => number;
}

/** What `seed` needs; unset fields take the defaults of a fresh row. */
export interface FakePersonSeed {
  distinctIds: string[];
  bucketingKey?: string;
  properties?: Record<string, unknown>;
  setOnceAt?: Record<string, number>;
  identified?: boolean;
  firstSeen?: number | null;
  lastSeen?: number | null;
  eventCount?: number;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/**
 * Persons and distinct ids in memory, with the observable behaviour of
 * adapters/postgres/person-store.ts: person ids from one sequence across projects; a
 * created person's bucketing key is its first distinct id; `attach` and `createFor` leave
 * an id that is already mapped alone and return only what they mapped; every write bumps
 * the row's version (µs, strictly increasing); `merge` moves the ids, sums the stats and
 * deletes the source. Locks are no-ops (one test, one caller); `lockIdentityRebuild`
 * always succeeds.
 *
 * Inspection: `seed` a person, `row`, `rows`, `personIdOf`, `idsOf`.
 */
export function createFakePersonStore(opts: FakePersonStoreOptions = {}) {
  const now = opts.now ?? Date.now;
  const persons = new Map<number, FakePersonRow>();
  const dids = new Map<string, number>(); // `${projectId}\0${distinctId}` -> person id
  let nextId = 1;
  let lastVersion = 0;
  const didKey = (projectId: number, d: string) => `${projectId}\u0000${d}`;
  const version = () => (lastVersion = Math.max(lastVersion + 1, now() * 1000));
  const get = (projectId: number, id: number) => {
    const p = persons.get(id);
    return p && p.projectId === projectId ? p : undefined;
  };
  const idsOf = (projectId: number, personId: number) => {
    const prefix = `${projectId}\u0000`;
    const out: string[] = [];
    for (const [k, pid] of dids) if (pid === personId && k.startsWith(prefix)) out.push(k.slice(prefix.length));
    return out.sort(byCodeUnit);
  };
  const insert = (projectId: number, bucketingKey: string, identified: boolean): FakePersonRow => {
    const row: FakePersonRow = {
      id: nextId++, projectId, bucketingKey, properties: {}, setOnceAt: {}, identified,
      firstSeen: null, lastSeen: null, eventCount: 0, createdAt: now(), version: version(),
    };
    persons.set(row.id, row);
    return row;
  };
  const locked = (p: FakePersonRow): LockedPerson => ({
    id: p.id, bucketingKey: p.bucketingKey, properties: structuredClone(p.properties), setOnceAt: { ...p.setOnceAt },
    identified: p.identified, firstSeen: p.firstSeen, lastSeen: p.lastSeen, eventCount: p.eventCount,
  });
  const doc = (p: FakePersonRow): PersonDoc => ({
    id: p.id, bucketingKey: p.bucketingKey, propertiesJson: JSON.stringify(p.properties), identified: p.identified, version: p.version,
    surveyHistory: opts.events?.surveyHistory(p.projectId, idsOf(p.projectId, p.id)) ?? { answered: [], lastShownAt: null },
  });

  async function mappings(_db: unknown, projectId: number, distinctIds: readonly string[]) {
    const out = new Map<string, number>();
    for (const d of distinctIds) {
      const pid = dids.get(didKey(projectId, d));
      if (pid !== undefined) out.set(d, pid);
    }
    return out;
  }

  async function createFor(_db: unknown, projectId: number, distinctIds: readonly string[]) {
    const out = new Map<string, number>();
    for (const d of distinctIds) {
      if (dids.has(didKey(projectId, d)) || out.has(d)) continue;
      const row = insert(projectId, d, false);
      dids.set(didKey(projectId, d), row.id);
      out.set(d, row.id);
    }
    return out;
  }

  const store: PersonStore & {
    seed(projectId: number, p: FakePersonSeed): FakePersonRow;
    row(projectId: number, personId: number): FakePersonRow | undefined;
    rows(projectId: number): FakePersonRow[];
    personIdOf(projectId: number, distinctId: string): number | undefined;
    idsOf(projectId: number, personId: number): string[];
  } = {
    mappings,
    createFor,

    async ensureAndLock(db, projectId, distinctIds) {
      const unique = [...new Set(distinctIds)];
      const byDid = await mappings(db, projectId, unique);
      const created = new Map<number, string>();
      for (const [d, pid] of await createFor(db, projectId, unique.filter((d) => !byDid.has(d)))) {
        byDid.set(d, pid);
        created.set(pid, d);
      }
      return { byDid, created };
    },

    async addStats(_db, projectId, deltas) {
      const out = new Map<number, number>();
      for (const d of deltas) {
        const p = get(projectId, d.id);
        if (!p) continue;
        p.firstSeen = minOf(p.firstSeen, d.firstMs);
        p.lastSeen = maxOf(p.lastSeen, d.lastMs);
        p.eventCount += d.count;
        p.version = version();
        out.set(p.id, p.version);
      }
      return out;
    },

    async lockRows(_db, projectId, personIds) {
      const out = new Map<number, LockedPerson>();
      for (const id of [...new Set(personIds)].sort((a, b) => a - b)) {
        const p = get(projectId, id);
        if (p) out.set(id, locked(p));
      }
      return out;
    },

    async writeProperties(_db, projectId, rows) {
      for (const r of rows) {
        const p = get(projectId, r.id);
        if (!p) continue;
        p.properties = structuredClone(r.properties);
        p.setOnceAt = { ...r.setOnceAt };
        p.version = version();
      }
    },

    async insertPerson(_db, projectId, bucketingKey, identified) {
      return insert(projectId, bucketingKey, identified).id;
    },

    async attach(_db, projectId, personId, distinctIds) {
      const mapped: string[] = [];
      for (const d of [...new Set(distinctIds)].sort(byCodeUnit)) {
        if (dids.has(didKey(projectId, d))) continue;
        dids.set(didKey(projectId, d), personId);
        mapped.push(d);
      }
      return mapped;
    },

    async setIdentified(_db, projectId, personId) {
      const p = get(projectId, personId);
      if (p && !p.identified) {
        p.identified = true;
        p.version = version();
      }
    },

    async merge(_db, projectId, from, into, merged) {
      const moved = idsOf(projectId, from);
      for (const d of moved) dids.set(didKey(projectId, d), into);
      const f = get(projectId, from);
      const i = get(projectId, into);
      if (f && i) {
        i.properties = structuredClone(merged.properties);
        i.setOnceAt = { ...merged.setOnceAt };
        i.identified = true;
        i.firstSeen = minOf(i.firstSeen, f.firstSeen);
        i.lastSeen = maxOf(i.lastSeen, f.lastSeen);
        i.eventCount += f.eventCount;
        i.version = version();
      }
      if (f) persons.delete(from);
      return moved;
    },

    async remove(_db, projectId, personId) {
      const held = idsOf(projectId, personId);
      for (const d of held) dids.delete(didKey(projectId, d));
      if (get(projectId, personId)) persons.delete(personId);
      return held;
    },

    async distinctIdsOf(_db, projectId, personIds) {
      return new Map(personIds.map((id) => [id, idsOf(projectId, id)]));
    },

    async docs(_db, projectId, personIds) {
      return [...new Set(personIds)].map((id) => get(projectId, id)).filter((p) => p !== undefined).map(doc);
    },

    async docsPage(_db, projectId, afterId, limit) {
      return [...persons.values()]
        .filter((p) => p.projectId === projectId && p.id > afterId)
        .sort((a, b) => a.id - b.id)
        .slice(0, limit)
        .map((p) => ({ ...doc(p), distinctIds: idsOf(projectId, p.id) }));
    },

    async stats(_db, projectId, personId) {
      const p = get(projectId, personId);
      return p ? { ...locked(p), createdAt: p.createdAt } : null;
    },

    async lockIdentityShared() {},
    async lockIdentityRebuild() {
      return true;
    },

    seed(projectId, s) {
      const row = insert(projectId, s.bucketingKey ?? s.distinctIds[0], s.identified ?? false);
      Object.assign(row, {
        properties: structuredClone(s.properties ?? {}), setOnceAt: { ...s.setOnceAt },
        firstSeen: s.firstSeen ?? null, lastSeen: s.lastSeen ?? null, eventCount: s.eventCount ?? 0,
      });
      for (const d of s.distinctIds) {
        if (dids.has(didKey(projectId, d))) throw new Error(`fake person store: ${d} is already mapped`);
        dids.set(didKey(projectId, d), row.id);
      }
      return row;
    },
    row: (projectId, personId) => get(projectId, personId),
    rows: (projectId) => [...persons.values()].filter((p) => p.projectId === projectId),
    personIdOf: (projectId, distinctId) => dids.get(didKey(projectId, distinctId)),
    idsOf,
  };
  return store;
}

export type FakePersonStore = ReturnType<typeof createFakePersonStore>;
