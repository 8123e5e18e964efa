/**
 * Materialized cohort membership in Redis: versioned SETs plus a pointer to the live
 * version (docs/cohorts.md). Writers build a version off to the side, then switch the
 * pointer atomically; readers read pointer and set in one script.
 *
 * Members are person ids as decimal strings, plus `d:<distinct_id>` for static-cohort ids
 * that have no person yet.
 */
import type { MemberRef, MemberScanPage, MembershipAnswer, MembershipStore } from '../../ports/membership-store.js';
import type { Keys } from './keys.js';
import { waitForRedis, type RedisClient } from './client.js';
import { APPLY, IS_MEMBER, SWITCH, type LuaScript } from './membership-lua.js';

/**
 * SSCAN's COUNT for member listings. Fixed (never the page size): repeating one SSCAN call
 * with the same cursor and COUNT on an unchanged set returns the same batch, so a page may end
 * inside a batch and the next one skips what was already returned.
 */
export const SCAN_COUNT = 1_000;

/** A listing cursor: SSCAN's cursor and how many members of the batch it returns were already listed. */
const encodeScan = (redisCursor: string, skip: number) => `${redisCursor}.${skip}`;
function decodeScan(cursor: string | null): { redisCursor: string; skip: number } {
  if (cursor === null) return { redisCursor: '0', skip: 0 };
  const m = /^(\d{1,20})\.(\d{1,7})$/.exec(cursor);
  if (!m) throw new Error(`malformed member scan cursor: ${cursor}`);
  return { redisCursor: m[1], skip: Number(m[2]) };
}

/** Members per SADD/SREM command (and per Lua call): big enough to pipeline well, small for Lua's stack. */
export const CHUNK = 5_000;

export interface MembershipStoreDeps {
  /** the request-path connection (short command timeout): reads */
  redis: RedisClient;
  /** a connection without the short timeout: materialization writes */
  bulk: RedisClient;
  keys: Keys;
}

/** EVALSHA, falling back to EVAL once when the server has not cached the script. */
async function run(client: RedisClient, s: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
    return client.eval(s.lua, keys.length, ...keys, ...args);
  }
}

const ready = async (client: RedisClient) => {
  if (client.status !== 'ready') await waitForRedis(client, 2_000);
};

export function createMembershipStore(deps: MembershipStoreDeps): MembershipStore {
  const { redis, bulk, keys } = deps;

  async function apply(projectId: number, cohortId: number, op: 'add' | 'rem', members: string[]): Promise<{ version: number; changed: number } | null> {
    await ready(bulk);
    let out: { version: number; changed: number } | null = null;
    const cur = keys.cohortCurrent(projectId, cohortId);
    const base = keys.cohortMembersBase(projectId, cohortId);
    for (let i = 0; i < Math.max(members.length, 1); i += CHUNK) {
      const reply = (await run(bulk, APPLY, [cur], [base, op, ...members.slice(i, i + CHUNK)])) as [number, number] | null;
      if (reply === null) return null;
      // A refresh may switch versions between two chunks: report the last one, count only its changes.
      const version = Number(reply[0]);
      out = { version, changed: (out && out.version === version ? out.changed : 0) + Number(reply[1]) };
    }
    return out;
  }

  /**
   * Membership of one person in several cohorts of one project, in ONE round trip.
   * Returns one answer per cohort id, in order.
   */
  async function membership(projectId: number, cohortIds: number[], member: MemberRef): Promise<MembershipAnswer[]> {
    if (cohortIds.length === 0) return [];
    const current = cohortIds.map((c) => keys.cohortCurrent(projectId, c));
    const bases = cohortIds.map((c) => keys.cohortMembersBase(projectId, c));
    const person = member.personId === null ? '' : String(member.personId);
    const [hits, versions] = (await run(redis, IS_MEMBER, current, [...bases, person, ...member.distinctIds])) as [number[], Array<string | null>];
    return cohortIds.map((_, i) => ({ member: hits[i] === 1, version: versions[i] == null ? null : Number(versions[i]) }));
  }

  return {
    /**
     * Writes `members` as version `version` (not live yet): UNLINK leftovers of a failed
     * run, then SADD in chunks of CHUNK, pipelined. An empty list leaves no set (an empty
     * SET does not exist in Redis); the version is still valid once switched to.
     * Returns ms spent.
     */
    async writeVersion(projectId: number, cohortId: number, version: number, members: Iterable<string>): Promise<number> {
      const started = performance.now();
      await ready(bulk);
      const key = keys.cohortMembers(projectId, cohortId, version);
      let pipe = bulk.pipeline().unlink(key);
      let chunk: string[] = [];
      let queued = 0;
      const flush = async () => {
        const results = (await pipe.exec()) ?? [];
        for (const [err] of results) if (err) throw err;
        pipe = bulk.pipeline();
        queued = 0;
      };
      for (const m of members) {
        chunk.push(m);
        if (chunk.length === CHUNK) {
          pipe.sadd(key, ...chunk);
          chunk = [];
          // Bound client memory: at most ~40 commands (200k members) in flight.
          if (++queued >= 40) await flush();
        }
      }
      if (chunk.length) pipe.sadd(key, ...chunk);
      await flush();
      return performance.now() - started;
    },

    /**
     * Makes `version` live, atomically and only forwards. Returns the previous version
     * (0 when none) or -1 when a newer version is already live (the caller then drops its own).
     */
    async switchTo(projectId: number, cohortId: number, version: number): Promise<number> {
      await ready(bulk);
      return Number(await run(bulk, SWITCH, [keys.cohortCurrent(projectId, cohortId)], [version]));
    },

    /** Deletes one version's set (never the live one: callers pass versions they replaced). */
    async dropVersion(projectId: number, cohortId: number, version: number): Promise<void> {
      if (version <= 0) return;
      await ready(bulk);
      await bulk.unlink(keys.cohortMembers(projectId, cohortId, version));
    },

    /** Unlinks the pointer and the sets of versions `fromVersion..toVersion`; returns how many keys existed. */
    async dropAll(projectId: number, cohortId: number, fromVersion: number, toVersion: number): Promise<number> {
      await ready(bulk);
      const doomed = [keys.cohortCurrent(projectId, cohortId)];
      for (let v = Math.max(1, fromVersion); v <= toVersion; v++) doomed.push(keys.cohortMembers(projectId, cohortId, v));
      return bulk.unlink(...doomed);
    },

    /** The live version, or null when the cohort was never materialized. */
    async currentVersion(projectId: number, cohortId: number): Promise<number | null> {
      await ready(bulk);
      const v = await bulk.get(keys.cohortCurrent(projectId, cohortId));
      return v === null ? null : Number(v);
    },

    async liveVersions(projectId: number, cohortIds: readonly number[]): Promise<Array<number | null>> {
      if (cohortIds.length === 0) return [];
      await ready(bulk);
      const values = await bulk.mget(...cohortIds.map((c) => keys.cohortCurrent(projectId, c)));
      return values.map((v) => (v === null ? null : Number(v)));
    },

    /** Adds members to the live version; returns it, or null when there is none (nothing done). */
    addMembers: (projectId: number, cohortId: number, members: string[]) => apply(projectId, cohortId, 'add', members),

    /** Removes members from the live version; returns it, or null when there is none. */
    removeMembers: (projectId: number, cohortId: number, members: string[]) => apply(projectId, cohortId, 'rem', members),

    membership,

    /** `membership` reduced to booleans, one per cohort id. */
    isMember: async (projectId: number, cohortIds: number[], member: MemberRef): Promise<boolean[]> =>
      (await membership(projectId, cohortIds, member)).map((a) => a.member),

    /**
     * SSCAN pages of one version (COUNT SCAN_COUNT), each SSCAN in a MULTI with GET of the
     * pointer and EXISTS of the set: a missing set is the end when it is the live version (an
     * empty version has no key), else the version is gone (null).
     */
    async scanMembers(projectId: number, cohortId: number, version: number, cursor: string | null, limit: number): Promise<MemberScanPage | null> {
      await ready(bulk);
      const key = keys.cohortMembers(projectId, cohortId, version);
      let { redisCursor, skip } = decodeScan(cursor);
      const out: string[] = [];
      for (;;) {
        const replies = (await bulk.multi().get(keys.cohortCurrent(projectId, cohortId)).exists(key).sscan(key, redisCursor, 'COUNT', SCAN_COUNT).exec()) ?? [];
        for (const [err] of replies) if (err) throw err;
        const [live, exists, scan] = replies.map((r) => r[1]) as [string | null, number, [string, string[]]];
        if (exists === 0) return live !== null && Number(live) === version ? { members: out, cursor: null } : null;
        const [next, batch] = scan;
        const fresh = batch.slice(skip);
        const room = limit - out.length;
        if (fresh.length > room) {
          out.push(...fresh.slice(0, room));
          return { members: out, cursor: encodeScan(redisCursor, skip + room) };
        }
        out.push(...fresh);
        skip = 0;
        redisCursor = next;
        if (redisCursor === '0') return { members: out, cursor: null };
        if (out.length === limit) return { members: out, cursor: encodeScan(redisCursor, 0) };
      }
    },

    /** Redis bytes of one version's set (MEMORY USAGE, sampled), 0 when it has no set. */
    async bytes(projectId: number, cohortId: number, version: number): Promise<number> {
      await ready(bulk);
      return Number((await bulk.memory('USAGE', keys.cohortMembers(projectId, cohortId, version))) ?? 0);
    },
  };
}

