import type { MemberRef, MembershipAnswer, MembershipStore } from '../../src/ports/membership-store.js';

/** One cohort's materialization: the live pointer and the version sets that exist. */
interface CohortSets {
  live: number | null;
  sets: Map<number, Set<string>>;
}

type Method = keyof MembershipStore;

/**
 * Materialized membership in memory, with the semantics of adapters/redis/membership-store.ts
 * and membership-lua.ts: `writeVersion` replaces any leftover set of that version and an
 * empty member list leaves no set (an empty Redis SET does not exist); `switchTo` only moves
 * forwards and answers the previous version (0: none) or -1 when refused; `addMembers` /
 * `removeMembers` touch only the live version and answer null when there is none; a reader
 * matches the person id or `d:<distinct_id>` in the version the pointer names.
 *
 * Inspection: `live`, `members` (a version's members, in insertion order, or the live
 * version's; null when there is no live version), `versions` (the sets that exist). Faults: `fail(method, err)` makes the next call of `method` reject; for
 * `writeVersion`, `{ afterMembers: n }` first writes n members (a pipeline that broke
 * half way), leaving a partial set behind.
 */
export function createFakeMembershipStore() {
  const cohorts = new Map<string, CohortSets>();
  const faults = new Map<Method, { err: Error; afterMembers: number }>();
  const of = (projectId: number, cohortId: number): CohortSets => {
    const k = `${projectId}:${cohortId}`;
    let c = cohorts.get(k);
    if (!c) cohorts.set(k, (c = { live: null, sets: new Map() }));
    return c;
  };
  const fault = (m: Method) => {
    const f = faults.get(m);
    if (f) faults.delete(m);
    return f;
  };
  const check = (m: Method) => {
    const f = fault(m);
    if (f) throw f.err;
  };
  const apply = (projectId: number, cohortId: number, members: string[], op: 'add' | 'rem'): { version: number; changed: number } | null => {
    const c = of(projectId, cohortId);
    if (c.live === null) return null;
    let set = c.sets.get(c.live);
    let changed = 0;
    if (op === 'add' && members.length) {
      if (!set) c.sets.set(c.live, (set = new Set()));
      for (const m of new Set(members)) if (!set.has(m)) {
        set.add(m);
        changed++;
      }
    } else if (set) {
      for (const m of new Set(members)) if (set.delete(m)) changed++;
      if (set.size === 0) c.sets.delete(c.live);
    }
    return { version: c.live, changed };
  };

  async function membership(projectId: number, cohortIds: number[], member: MemberRef): Promise<MembershipAnswer[]> {
    check('membership');
    const probe = [...(member.personId === null ? [] : [String(member.personId)]), ...member.distinctIds.map((d) => `d:${d}`)];
    return cohortIds.map((id) => {
      const c = of(projectId, id);
      const set = c.live === null ? undefined : c.sets.get(c.live);
      return { member: !!set && probe.some((p) => set.has(p)), version: c.live };
    });
  }

  const store: MembershipStore & {
    live(projectId: number, cohortId: number): number | null;
    members(projectId: number, cohortId: number, version?: number): string[] | null;
    versions(projectId: number, cohortId: number): number[];
    fail(method: Method, err: Error, opts?: { afterMembers?: number }): void;
  } = {
    async writeVersion(projectId, cohortId, version, members) {
      const started = performance.now();
      const f = fault('writeVersion');
      const c = of(projectId, cohortId);
      c.sets.delete(version);
      const set = new Set<string>();
      fill: for await (const item of members) {
        for (const m of typeof item === 'string' ? [item] : item) {
          if (f && set.size >= f.afterMembers) break fill;
          set.add(m);
        }
      }
      if (set.size) c.sets.set(version, set);
      if (f) throw f.err;
      return performance.now() - started;
    },

    async switchTo(projectId, cohortId, version) {
      check('switchTo');
      const c = of(projectId, cohortId);
      const cur = c.live ?? 0;
      if (version <= cur) return -1;
      c.live = version;
      return cur;
    },

    async dropVersion(projectId, cohortId, version) {
      check('dropVersion');
      if (version > 0) of(projectId, cohortId).sets.delete(version);
    },

    async dropAll(projectId, cohortId, fromVersion, toVersion) {
      check('dropAll');
      const c = of(projectId, cohortId);
      let n = c.live === null ? 0 : 1;
      c.live = null;
      for (let v = Math.max(1, fromVersion); v <= toVersion; v++) if (c.sets.delete(v)) n++;
      return n;
    },

    async currentVersion(projectId, cohortId) {
      check('currentVersion');
      return of(projectId, cohortId).live;
    },

    async liveVersions(projectId, cohortIds) {
      return cohortIds.map((id) => of(projectId, id).live);
    },

    async addMembers(projectId, cohortId, members) {
      check('addMembers');
      return apply(projectId, cohortId, members, 'add');
    },

    async removeMembers(projectId, cohortId, members) {
      check('removeMembers');
      return apply(projectId, cohortId, members, 'rem');
    },

    membership,

    async isMember(projectId, cohortIds, member) {
      return (await membership(projectId, cohortIds, member)).map((a) => a.member);
    },

    /** Pages of a version in insertion order; the cursor is an offset; null when the version is gone. */
    async scanMembers(projectId, cohortId, version, cursor, limit) {
      check('scanMembers');
      const c = of(projectId, cohortId);
      const set = c.sets.get(version);
      if (!set) return c.live === version ? { members: [], cursor: null } : null;
      const from = cursor === null ? 0 : Number(cursor);
      const all = [...set];
      const members = all.slice(from, from + limit);
      return { members, cursor: from + limit < all.length ? String(from + limit) : null };
    },

    /** A stand-in for MEMORY USAGE: the members' bytes plus a fixed overhead per entry. */
    async bytes(projectId, cohortId, version) {
      check('bytes');
      const set = of(projectId, cohortId).sets.get(version);
      if (!set) return 0;
      let n = 64;
      for (const m of set) n += m.length + 16;
      return n;
    },

    live: (projectId, cohortId) => of(projectId, cohortId).live,
    members(projectId, cohortId, version) {
      const c = of(projectId, cohortId);
      const v = version ?? c.live;
      if (v === null) return null;
      return [...(c.sets.get(v) ?? [])];
    },
    versions: (projectId, cohortId) => [...of(projectId, cohortId).sets.keys()].sort((a, b) => a - b),
    fail: (method, err, opts = {}) => void faults.set(method, { err, afterMembers: opts.afterMembers ?? 0 }),
  };
  return store;
}

export type FakeMembershipStore = ReturnType<typeof createFakeMembershipStore>;
