import type { CohortDefinition, CohortNode } from '../../src/domain/cohort-definition.js';
import type { Cohort, CohortErrorCode, CohortKind, CohortRef, CohortState } from '../../src/domain/cohort.js';
import type { CohortStore } from '../../src/ports/cohort-store.js';

/** A cohort row: the domain cohort plus its row lease (lease times are unix ms). */
export interface FakeCohortRow extends Cohort {
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

/** A `cohort_calculations` row. Times are unix ms. */
export interface FakeCalculationRow {
  id: number;
  projectId: number;
  cohortId: number;
  version: number;
  worker: string | null;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  memberCount: number | null;
  errorCode: CohortErrorCode | null;
  errorMessage: string | null;
  stats: Record<string, unknown>;
}

/** What `add` needs; the rest takes a new row's defaults (state building, due now). */
export type FakeCohortSeed = Pick<Cohort, 'key' | 'kind'> & Partial<Omit<FakeCohortRow, 'id' | 'projectId' | 'key' | 'kind'>>;

const iso = (ms: number) => new Date(ms).toISOString();

/** Keys of the `{ type: 'cohort' }` leaves of a definition tree. */
export function referencedKeys(node: CohortDefinition | CohortNode | null): string[] {
  if (!node) return [];
  if (node.type === 'cohort') return [node.key];
  if (node.type === 'AND' || node.type === 'OR') return node.values.flatMap(referencedKeys);
  return [];
}

/**
 * Cohort rows in memory, as adapters/postgres/cohort-store.ts keeps them, plus the two
 * things other cohort ports share with it in PostgreSQL: the lease columns and the
 * calculation history (`calculations`). The fake lease and run stores take this object,
 * as their adapters share the tables. Every store method returns copies.
 *
 * Setup and inspection: `add(projectId, seed)`, `row(projectId, id)` and `rows()` (the live rows),
 * `definitionsVersion(projectId)` (bumps counted from 0). Not faked: `regexError`
 * (PostgreSQL's regex engine) and `membersPerTier` (needs the projects table) throw.
 */
export function createFakeCohortStore(opts: { now?: () => number } = {}) {
  const now = opts.now ?? Date.now;
  const rows = new Map<number, FakeCohortRow>();
  const calculations: FakeCalculationRow[] = [];
  const bumps = new Map<number, number>();
  let nextId = 1;
  const get = (projectId: number, id: number) => {
    const r = rows.get(id);
    return r && r.projectId === projectId ? r : undefined;
  };
  const byKey = (projectId: number, key: string) => [...rows.values()].find((r) => r.projectId === projectId && r.key === key);
  const out = (r: FakeCohortRow | undefined): Cohort | null => {
    if (!r) return null;
    const { leaseOwner: _o, leaseExpiresAt: _e, ...c } = structuredClone(r);
    c.isCalculating = r.pendingVersion !== null && r.leaseExpiresAt !== null && r.leaseExpiresAt > now();
    return c;
  };
  const notFaked = (name: string) => () => Promise.reject(new Error(`fake cohort store: ${name} is not faked`));

  function add(projectId: number, seed: FakeCohortSeed): FakeCohortRow {
    if (byKey(projectId, seed.key)) throw Object.assign(new Error(`duplicate key ${seed.key}`), { code: '23505' });
    const at = iso(now());
    const row: FakeCohortRow = {
      id: nextId++, projectId, name: seed.key, description: '', definition: null, state: 'building', definitionVersion: 1,
      version: 0, pendingVersion: null, memberCount: 0, lastCalculatedAt: null, errorsCalculating: 0, lastErrorAt: null,
      lastErrorCode: null, lastErrorMessage: null, refreshIntervalS: null, nextRunAt: at, archivedAt: null,
      createdAt: at, updatedAt: at, leaseOwner: null, leaseExpiresAt: null, isCalculating: false, createdBy: null,
      ...structuredClone(seed),
    };
    rows.set(row.id, row);
    return row;
  }

  const store: CohortStore & {
    add: typeof add;
    row(projectId: number, id: number): FakeCohortRow | undefined;
    rows(): FakeCohortRow[];
    calculations: FakeCalculationRow[];
    definitionsVersion(projectId: number): number;
    now: () => number;
  } = {
    async insert(c) {
      return out(add(c.projectId, { key: c.key, kind: c.kind as CohortKind, name: c.name, description: c.description, definition: c.definition, refreshIntervalS: c.refreshIntervalS }))!;
    },
    byKey: async (projectId, key) => out(byKey(projectId, key)),
    byId: async (projectId, id) => out(get(projectId, id)),
    lockByKey: async (projectId, key) => out(byKey(projectId, key)),

    async setState(projectId, id, state: CohortState, at, effects) {
      const r = get(projectId, id);
      if (!r) throw new Error(`fake cohort store: no cohort ${id}`);
      r.state = state;
      r.updatedAt = at.toISOString();
      if (effects.nextRunAt !== undefined) r.nextRunAt = effects.nextRunAt?.toISOString() ?? null;
      if (effects.archivedAt !== undefined) r.archivedAt = effects.archivedAt?.toISOString() ?? null;
      return out(r)!;
    },

    async referencedBy(projectId, key) {
      return [...rows.values()]
        .filter((r) => r.projectId === projectId && r.key !== key && r.state !== 'archived' && referencedKeys(r.definition).includes(key))
        .map((r) => r.key)
        .sort();
    },

    async list(projectId, o) {
      return [...rows.values()]
        .filter((r) => r.projectId === projectId && r.id > o.afterId && (o.includeArchived || r.state !== 'archived'))
        .filter((r) => !o.search || `${r.key}\n${r.name}`.toLowerCase().includes(o.search.toLowerCase()))
        .sort((a, b) => a.id - b.id)
        .slice(0, o.limit)
        .map((r) => out(r)!);
    },

    async countByState(projectId) {
      const out = { building: 0, active: 0, paused: 0, archived: 0 };
      for (const r of rows.values()) if (r.projectId === projectId) out[r.state]++;
      return out;
    },

    async refs(projectId) {
      const m = new Map<string, CohortRef>();
      for (const r of rows.values()) {
        if (r.projectId === projectId) m.set(r.key, { id: r.id, kind: r.kind, state: r.state, definition: structuredClone(r.definition) });
      }
      return m;
    },

    async live(projectId) {
      return [...rows.values()].filter((r) => r.projectId === projectId && r.state !== 'archived').sort((a, b) => a.id - b.id).map((r) => out(r)!);
    },

    async update(projectId, id, patch, expectedVersion) {
      const r = get(projectId, id);
      if (!r || (expectedVersion !== null && r.definitionVersion !== expectedVersion)) return null;
      if (patch.name !== undefined) r.name = patch.name;
      if (patch.description !== undefined) r.description = patch.description;
      if (patch.definition !== undefined) {
        r.definition = structuredClone(patch.definition);
        r.nextRunAt = iso(now());
      }
      if (patch.refreshIntervalS !== undefined) r.refreshIntervalS = patch.refreshIntervalS;
      r.definitionVersion++;
      r.updatedAt = iso(now());
      return out(r);
    },

    async adjustMemberCount(projectId, id, version, delta) {
      const r = get(projectId, id);
      if (r && r.version === version) r.memberCount = Math.max(0, r.memberCount + delta);
    },

    async markDue(projectId, id) {
      const r = get(projectId, id);
      if (r) r.nextRunAt = iso(now());
    },

    async bumpDefinitionsVersion(projectId) {
      bumps.set(projectId, (bumps.get(projectId) ?? 0) + 1);
    },

    regexError: notFaked('regexError'),
    membersPerTier: notFaked('membersPerTier'),

    add,
    row: get,
    rows: () => [...rows.values()],
    calculations,
    definitionsVersion: (projectId) => bumps.get(projectId) ?? 0,
    now,
  };
  return store;
}

export type FakeCohortStore = ReturnType<typeof createFakeCohortStore>;
