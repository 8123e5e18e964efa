/**
 * Materialized cohort membership in Redis: versioned, chunked member sets (intsets of
 * offsets or bitmaps per chunk of person ids, membership-lua.ts) plus a pointer to the live
 * version (docs/cohorts.md, docs/scaling.md). Writers build a version off to the side, then
 * switch the pointer atomically; readers read pointer and chunk in one script.
 *
 * Members are person ids as decimal strings, plus `d:<distinct_id>` for static-cohort ids
 * that have no person yet.
 */
import type { MemberRef, Members, MemberScanPage, MembershipAnswer, MembershipStore } from '../../ports/membership-store.js';
import { scanVersion } from './membership-read.js';
import type { Keys } from './keys.js';
import { waitForRedis, type RedisClient } from './client.js';
import { APPLY, CHUNK_IDS, INTSET_MAX, IS_MEMBER, SWITCH, type LuaScript } from './membership-lua.js';


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

/**
 * Every key of one version (its index, chunks and `:d` set), from its index; both names of
 * each chunk, since an event-driven add may have turned an intset into a bitmap.
 */
async function keysOfVersion(client: RedisClient, index: string): Promise<string[]> {
  const chunks = await client.smembers(index);
  const out = [index, `${index}:d`];
  for (const c of chunks) out.push(`${index}:s${c}`, `${index}:b${c}`);
  return out;
}

export function createMembershipStore(deps: MembershipStoreDeps): MembershipStore {
  const { redis, bulk, keys } = deps;
  const versionKeys = (index: string) => keysOfVersion(bulk, index);
  /** Unlinks every key of one version; returns how many existed. */
  const dropKeys = async (index: string): Promise<number> => {
    const all = await versionKeys(index);
    let n = 0;
    // The index goes last: a drop that fails half-way can be retried from it.
    const rest = all.slice(1);
    for (let i = 0; i < rest.length; i += CHUNK) n += await bulk.unlink(...rest.slice(i, i + CHUNK));
    return n + (await bulk.unlink(index));
  };

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
     * Writes `members` as version `version` (not live yet), streamed: UNLINK leftovers of a
     * failed run, then each chunk of person ids as soon as the input moves past it (an intset
     * of offsets, or a bitmap when it holds more than INTSET_MAX), pipelined; `d:` ids in
     * batches of CHUNK. Person ids must come in ascending order (throws otherwise); `d:` ids
     * may come anywhere; an item of `members` is one member or a batch of them. Memory: one chunk of offsets and ~40 commands in flight, whatever
     * the cohort's size. An empty list leaves no key; the version is still valid once
     * switched to. Returns ms spent.
     */
    async writeVersion(projectId: number, cohortId: number, version: number, members: Members): Promise<number> {
      const started = performance.now();
      await ready(bulk);
      const index = keys.cohortMembers(projectId, cohortId, version);
      await dropKeys(index);
      let pipe = bulk.pipeline();
      let queued = 0;
      const flush = async () => {
        const results = (await pipe.exec()) ?? [];
        for (const [err] of results) if (err) throw err;
        pipe = bulk.pipeline();
        queued = 0;
      };
      const queue = async () => {
        if (++queued >= 40) await flush();
      };
      let chunk = -1;
      let offsets: number[] = [];
      let dids: string[] = [];
      const writeChunk = async () => {
        if (offsets.length === 0) return;
        // The index first: a run that dies half-way leaves only chunks its index names (dropVersion finds them).
        pipe.sadd(index, chunk);
        if (offsets.length <= INTSET_MAX) pipe.sadd(`${index}:s${chunk}`, ...offsets);
        else {
          const bits = Buffer.alloc(CHUNK_IDS / 8);
          for (const o of offsets) bits[o >> 3] |= 0x80 >> (o & 7); // Redis bit order: bit 0 is the most significant
          pipe.set(`${index}:b${chunk}`, bits);
        }
        offsets = [];
        await queue();
      };
      // Items are members or batches of them (ports/membership-store.ts Members).
      for await (const item of members) for (const m of typeof item === 'string' ? [item] : item) {
        if (m.startsWith('d:')) {
          dids.push(m.slice(2));
          if (dids.length === CHUNK) {
            pipe.sadd(`${index}:d`, ...dids);
            dids = [];
            await queue();
          }
          continue;
        }
        const id = Number(m);
        if (!Number.isSafeInteger(id) || id < 0) throw new Error(`membership: ${m} is not a person id`);
        const c = Math.floor(id / CHUNK_IDS);
        if (c !== chunk) {
          if (c < chunk) throw new Error('membership: person ids must come in ascending order');
          await writeChunk();
          chunk = c;
        }
        const o = id - c * CHUNK_IDS;
        if (offsets.length && offsets[offsets.length - 1] >= o) {
          if (offsets[offsets.length - 1] === o) continue; // a duplicate
          throw new Error('membership: person ids must come in ascending order');
        }
        offsets.push(o);
      }
      await writeChunk();
      if (dids.length) pipe.sadd(`${index}:d`, ...dids);
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
      await dropKeys(keys.cohortMembers(projectId, cohortId, version));
    },

    /** Unlinks the pointer and the sets of versions `fromVersion..toVersion`; returns how many keys existed. */
    async dropAll(projectId: number, cohortId: number, fromVersion: number, toVersion: number): Promise<number> {
      await ready(bulk);
      let removed = await bulk.unlink(keys.cohortCurrent(projectId, cohortId));
      for (let v = Math.max(1, fromVersion); v <= toVersion; v++) removed += await dropKeys(keys.cohortMembers(projectId, cohortId, v));
      return removed;
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

    /** One page of a version's members (membership-read.ts scanVersion). */
    async scanMembers(projectId: number, cohortId: number, version: number, cursor: string | null, limit: number): Promise<MemberScanPage | null> {
      await ready(bulk);
      return scanVersion(bulk, keys, projectId, cohortId, version, cursor, limit);
    },
    /** Redis bytes of one version, every key of it (MEMORY USAGE, exact: SAMPLES 0), 0 when it has none. */
    async bytes(projectId: number, cohortId: number, version: number): Promise<number> {
      await ready(bulk);
      const pipe = bulk.pipeline();
      for (const k of await versionKeys(keys.cohortMembers(projectId, cohortId, version))) pipe.memory('USAGE', k, 'SAMPLES', '0');
      let total = 0;
      for (const [err, n] of (await pipe.exec()) ?? []) if (!err) total += Number(n ?? 0);
      return total;
    },
  };
}

