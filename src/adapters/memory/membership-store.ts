/**
 * Materialized cohort membership in process memory (REDIS_URL=memory:): the semantics of
 * adapters/redis/membership-store.ts and membership-lua.ts, which the contract suite
 * (test/contract/membership-store.contract.ts) checks against both:
 * - `writeVersion` replaces any leftover set of that version; an empty member list leaves
 *   no set (an empty Redis SET does not exist), and the version is still valid once live;
 * - `switchTo` only moves forwards: the previous version (0: none), or -1 when refused;
 * - `addMembers` / `removeMembers` touch only the live version, answer null when there is
 *   none, and a set emptied by removals disappears;
 * - readers see the pointer and the set together: every call runs to its end without
 *   yielding, so a reader sees one whole version (a switch is a single assignment).
 */
import type { MemberRef, MembershipAnswer, MembershipStore } from '../../ports/membership-store.js';
import { cohortOf, peekCohort, type MemoryState } from './state.js';

/** Person ids ascending (as numbers), then `d:` ids in string order. */
function memberOrder(a: string, b: string): number {
  const da = a.startsWith('d:');
  const db = b.startsWith('d:');
  if (da !== db) return da ? 1 : -1;
  if (da) return a < b ? -1 : a > b ? 1 : 0;
  return Number(a) - Number(b);
}

/** Bytes one member takes, roughly as a Redis SET entry: the string plus ~16 bytes of overhead. */
const ENTRY_OVERHEAD = 16;

export function createMemoryMembershipStore(state: MemoryState): MembershipStore {
  function apply(projectId: number, cohortId: number, op: 'add' | 'rem', members: string[]) {
    const c = peekCohort(state, projectId, cohortId);
    if (!c || c.live === null) return null;
    let set = c.sets.get(c.live);
    let changed = 0;
    if (op === 'add') {
      for (const m of members) {
        if (!set) c.sets.set(c.live, (set = new Set()));
        if (!set.has(m)) {
          set.add(m);
          changed++;
        }
      }
    } else if (set) {
      for (const m of members) if (set.delete(m)) changed++;
      if (set.size === 0) c.sets.delete(c.live);
    }
    return { version: c.live, changed };
  }

  function membership(projectId: number, cohortIds: number[], member: MemberRef): MembershipAnswer[] {
    const probe: string[] = [];
    if (member.personId !== null) probe.push(String(member.personId));
    for (const d of member.distinctIds) probe.push(`d:${d}`);
    return cohortIds.map((id) => {
      const c = peekCohort(state, projectId, id);
      if (!c || c.live === null) return { member: false, version: null };
      const set = c.sets.get(c.live);
      return { member: set !== undefined && probe.some((p) => set.has(p)), version: c.live };
    });
  }

  return {
    async writeVersion(projectId, cohortId, version, members) {
      const started = performance.now();
      const c = cohortOf(state, projectId, cohortId);
      const set = new Set<string>();
      let last = -1;
      for await (const item of members) for (const m of typeof item === 'string' ? [item] : item) {
        if (!m.startsWith('d:')) {
          // The Redis adapter's contract: person ids ascending (it streams them chunk by chunk).
          const id = Number(m);
          if (!Number.isSafeInteger(id) || id < 0) throw new Error(`membership: ${m} is not a person id`);
          if (id < last) throw new Error('membership: person ids must come in ascending order');
          last = id;
        }
        set.add(m);
      }
      // Built off to the side, then put in place at once: no reader reads a non-live version.
      if (set.size) c.sets.set(version, set);
      else c.sets.delete(version);
      return performance.now() - started;
    },
    async switchTo(projectId, cohortId, version) {
      const c = cohortOf(state, projectId, cohortId);
      const cur = c.live ?? 0;
      if (version <= cur) return -1;
      c.live = version;
      return cur;
    },
    async dropVersion(projectId, cohortId, version) {
      if (version <= 0) return;
      peekCohort(state, projectId, cohortId)?.sets.delete(version);
    },
    async dropAll(projectId, cohortId, fromVersion, toVersion) {
      const c = peekCohort(state, projectId, cohortId);
      if (!c) return 0;
      let removed = 0;
      if (c.live !== null) {
        c.live = null;
        removed++;
      }
      for (let v = Math.max(1, fromVersion); v <= toVersion; v++) if (c.sets.delete(v)) removed++;
      if (c.sets.size === 0) state.cohorts.delete(`${projectId}:${cohortId}`);
      return removed;
    },
    async currentVersion(projectId, cohortId) {
      return peekCohort(state, projectId, cohortId)?.live ?? null;
    },
    async liveVersions(projectId, cohortIds) {
      return cohortIds.map((id) => peekCohort(state, projectId, id)?.live ?? null);
    },
    addMembers: async (projectId, cohortId, members) => apply(projectId, cohortId, 'add', members),
    removeMembers: async (projectId, cohortId, members) => apply(projectId, cohortId, 'rem', members),
    membership: async (projectId, cohortIds, member) => membership(projectId, cohortIds, member),
    isMember: async (projectId, cohortIds, member) => membership(projectId, cohortIds, member).map((a) => a.member),
    /**
     * A page in the Redis adapter's order (person ids ascending, then `d:` ids); the cursor is
     * the last member listed (base64url), so members added or removed meanwhile before it are not repeated.
     */
    async scanMembers(projectId, cohortId, version, cursor, limit) {
      const c = peekCohort(state, projectId, cohortId);
      const set = c?.sets.get(version);
      if (!set) return c?.live === version ? { members: [], cursor: null } : null;
      if (cursor !== null && !cursor.startsWith('m')) throw new Error(`malformed member scan cursor: ${cursor}`);
      const after = cursor === null ? null : Buffer.from(cursor.slice(1), 'base64url').toString('utf8');
      const sorted = [...set].sort(memberOrder);
      const from = after === null ? 0 : sorted.findIndex((m) => memberOrder(m, after) > 0);
      const page = from < 0 ? [] : sorted.slice(from, from + limit);
      const more = from >= 0 && from + limit < sorted.length;
      return { members: page, cursor: more ? `m${Buffer.from(page[page.length - 1], 'utf8').toString('base64url')}` : null };
    },
    /** An estimate (Redis samples too): member bytes plus a fixed overhead each; 0 when there is no set. */
    async bytes(projectId, cohortId, version) {
      const set = peekCohort(state, projectId, cohortId)?.sets.get(version);
      if (!set) return 0;
      let n = 0;
      for (const m of set) n += m.length + ENTRY_OVERHEAD;
      return n;
    },
  };
}
