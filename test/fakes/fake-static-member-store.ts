import type { CohortState, StaticMember } from '../../src/domain/cohort.js';
import type { StaticMemberStore } from '../../src/ports/static-member-store.js';

export interface FakeStaticMemberStoreOptions {
  /** who holds a distinct_id (the fake person store); none: every id is unseen */
  persons?: { personIdOf(projectId: number, distinctId: string): number | undefined };
  /** cohort states, so `cohortsListing` skips archived cohorts (the fake cohort store); none: all listed */
  cohorts?: { row(projectId: number, id: number): { state: CohortState } | undefined };
  /** unix ms for `addedAt` (default Date.now) */
  now?: () => number;
}

/**
 * Static cohorts' distinct_id lists in memory, as adapters/postgres/static-member-store.ts
 * keeps them. Persons come from `opts.persons`, as the real store joins person_distinct_ids:
 * `resolve` answers the unique persons of the listed ids and the ids without one.
 * Inspection: `listed(projectId, cohortId)` (sorted).
 */
export function createFakeStaticMemberStore(opts: FakeStaticMemberStoreOptions = {}) {
  const now = opts.now ?? Date.now;
  const lists = new Map<string, Map<string, number>>(); // `${projectId}:${cohortId}` -> distinct_id -> added at
  const listOf = (projectId: number, cohortId: number) => {
    const k = `${projectId}:${cohortId}`;
    let l = lists.get(k);
    if (!l) lists.set(k, (l = new Map()));
    return l;
  };
  const personOf = (projectId: number, d: string) => opts.persons?.personIdOf(projectId, d);
  const sorted = (ids: Iterable<string>) => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const store: StaticMemberStore & { listed(projectId: number, cohortId: number): string[] } = {
    async add(projectId, cohortId, ids) {
      const l = listOf(projectId, cohortId);
      let n = 0;
      for (const d of ids) {
        if (l.has(d)) continue;
        l.set(d, now());
        n++;
      }
      return n;
    },

    async remove(projectId, cohortId, ids) {
      const l = listOf(projectId, cohortId);
      return ids.filter((d) => l.delete(d)).length;
    },

    async removeOthers(projectId, cohortId, ids) {
      const keep = new Set(ids);
      const l = listOf(projectId, cohortId);
      return [...l.keys()].filter((d) => !keep.has(d) && l.delete(d)).length;
    },

    count: async (projectId, cohortId) => listOf(projectId, cohortId).size,

    countUnseen: async (projectId, ids) => ids.filter((d) => personOf(projectId, d) === undefined).length,

    async list(projectId, cohortId, afterDistinctId, limit): Promise<StaticMember[]> {
      const l = listOf(projectId, cohortId);
      return sorted(l.keys())
        .filter((d) => afterDistinctId === null || d > afterDistinctId)
        .slice(0, limit)
        .map((d) => ({ distinctId: d, personId: personOf(projectId, d) ?? null, addedAt: new Date(l.get(d)!).toISOString() }));
    },

    async resolve(projectId, cohortId) {
      const persons = new Set<number>();
      const unseen: string[] = [];
      for (const d of listOf(projectId, cohortId).keys()) {
        const pid = personOf(projectId, d);
        if (pid === undefined) unseen.push(d);
        else persons.add(pid);
      }
      return { personIds: [...persons], unseen };
    },

    async cohortsListing(projectId, ids) {
      const out = new Map<number, string[]>();
      const prefix = `${projectId}:`;
      for (const [k, l] of lists) {
        if (!k.startsWith(prefix)) continue;
        const cohortId = Number(k.slice(prefix.length));
        const state = opts.cohorts?.row(projectId, cohortId)?.state;
        if (state === 'archived' || state === 'paused') continue;
        const hit = ids.filter((d) => l.has(d));
        if (hit.length) out.set(cohortId, hit);
      }
      return out;
    },

    async removeEverywhere(_db, projectId, ids) {
      let n = 0;
      for (const [k, l] of lists) {
        if (!k.startsWith(`${projectId}:`)) continue;
        for (const d of ids) if (l.delete(d)) n++;
      }
      return n;
    },

    listed: (projectId, cohortId) => sorted(listOf(projectId, cohortId).keys()),
  };
  return store;
}

export type FakeStaticMemberStore = ReturnType<typeof createFakeStaticMemberStore>;
