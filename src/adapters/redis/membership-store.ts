/**
 * Materialized cohort membership in Redis: versioned, chunked member sets (intsets of
 * offsets or bitmaps per chunk of person ids, membership-lua.ts) plus a pointer to the live
 * version (docs/cohorts.md, docs/scaling.md). Writers build a version off to the side, then
 * switch the pointer atomically; readers read pointer and chunk in one script.
 *
 * Members are person ids as decimal strings, plus `d:<distinct_id>` for static-cohort ids
 * that have no person yet.
 */
import type { MemberChange, MemberRef, Members, MemberScanPage, MembershipAnswer, MembershipStore } from '../../ports/membership-store.js';
import { scanVersion, shardIndex } from './membership-read.js';
import { runScript } from './run-script.js';
import type { Keys } from './keys.js';
import { waitForRedis, type RedisClient } from './client.js';
import { APPLY, CHUNK_IDS, INTSET_MAX, IS_MEMBER, SWITCH } from './membership-lua.js';


/** Members per SADD/SREM command (and per Lua call): big enough to pipeline well, small for Lua's stack. */
export const CHUNK = 5_000;

export interface MembershipStoreDeps {
  /** the request-path connection (short command timeout): reads */
  redis: RedisClient;
  /** a connection without the short timeout: materialization writes */
  bulk: RedisClient;
  keys: Keys;
}

const run = runScript;

const ready = async (client: RedisClient) => {
  if (client.status !== 'ready') await waitForRedis(client, 2_000);
};

type Pipeline = ReturnType<RedisClient['pipeline']>;

export function createMembershipStore(deps: MembershipStoreDeps): MembershipStore {
  const { redis, bulk, keys } = deps;
  const S = keys.shards;
  const shards = Array.from({ length: S }, (_, s) => s);

  /**
   * Every key of one version, from its shards' indexes: the home `:d` set and `:k`, and per
   * shard the names of each chunk (both kinds: an event-driven add may have turned an intset
   * into a bitmap) and its kind key, then the shard's index, last. (One shard: the index is the
   * home one.)
   */
  const versionKeys = async (projectId: number, cohortId: number, version: number): Promise<string[][]> => {
    const home = keys.cohortMembers(projectId, cohortId, version);
    const perShard = await Promise.all(
      shards.map(async (s) => {
        const index = shardIndex(keys, projectId, cohortId, version, s);
        const out: string[] = [];
        for (const c of await bulk.smembers(index)) out.push(`${index}:s${c}`, `${index}:b${c}`, `${index}:k${c}`);
        out.push(index);
        return out;
      }),
    );
    return [[`${home}:d`, `${home}:k`], ...perShard];
  };

  /** Unlinks every key of one version; returns how many existed. */
  const dropKeys = async (projectId: number, cohortId: number, version: number): Promise<number> => {
    const groups = await versionKeys(projectId, cohortId, version);
    const unlinkAll = async (list: string[]) => {
      let m = 0;
      for (let i = 0; i < list.length; i += CHUNK) m += await bulk.unlink(...list.slice(i, i + CHUNK));
      return m;
    };
    const [home, ...perShard] = groups;
    const counts = await Promise.all([
      unlinkAll(home),
      // In each shard the index goes last: a drop that fails half-way can be retried from it.
      ...perShard.map(async (group) => (await unlinkAll(group.slice(0, -1))) + (await bulk.unlink(group[group.length - 1]))),
    ]);
    return counts.reduce((a, b) => a + b, 0);
  };

  /** Merges per-script replies: the last version seen, the changes counted only for it. */
  const merge = (out: MemberChange | null, reply: [number, number]): MemberChange => {
    const version = Number(reply[0]);
    if (out && out.version > version) return out;
    return { version, changed: (out && out.version === version ? out.changed : 0) + Number(reply[1]) };
  };

  async function applyIn(cur: string, base: string, mode: 'all' | 'chunks', op: 'add' | 'rem', members: string[], out: MemberChange | null): Promise<MemberChange | null | 'none'> {
    for (let i = 0; i < Math.max(members.length, 1); i += CHUNK) {
      const reply = (await run(bulk, APPLY, [cur], [base, op, mode, ...members.slice(i, i + CHUNK)])) as [number, number] | null;
      if (reply === null) return 'none';
      // A refresh may switch versions between two chunks: report the last one, count only its changes.
      out = merge(out, reply);
    }
    return out;
  }

  async function apply(projectId: number, cohortId: number, op: 'add' | 'rem', members: string[]): Promise<MemberChange | null> {
    await ready(bulk);
    const cur = keys.cohortCurrent(projectId, cohortId);
    const base = keys.cohortMembersBase(projectId, cohortId);
    if (S === 1) {
      const out = await applyIn(cur, base, 'all', op, members, null);
      return out === 'none' ? null : out;
    }
    // Sharded: `d:` ids in the home slot (which also says whether a version is live), person ids in their chunks' shards.
    const byShard = new Map<number, string[]>();
    const dIds: string[] = [];
    for (const m of members) {
      if (m.startsWith('d:')) dIds.push(m);
      else {
        const s = keys.shardOfChunk(Math.floor(Number(m) / CHUNK_IDS));
        let list = byShard.get(s);
        if (!list) byShard.set(s, (list = []));
        list.push(m);
      }
    }
    const home = await applyIn(cur, base, 'all', op, dIds, null);
    if (home === 'none') return null;
    let out: MemberChange | null = home;
    for (const [s, list] of byShard) {
      const r = await applyIn(keys.shardCurrent(projectId, cohortId, s), keys.shardMembersBase(projectId, cohortId, s), 'chunks', op, list, out);
      if (r !== 'none') out = r; // a shard without a live version (lost with its node): nothing to change there
    }
    return out;
  }

  /**
   * Membership of one person in several cohorts of one project, in ONE round trip (two
   * scripts sent together when the membership is sharded: the home slot for pointers and `:d`,
   * the person's shard for the chunk). Returns one answer per cohort id, in order.
   */
  async function membership(projectId: number, cohortIds: number[], member: MemberRef): Promise<MembershipAnswer[]> {
    if (cohortIds.length === 0) return [];
    const current = cohortIds.map((c) => keys.cohortCurrent(projectId, c));
    const bases = cohortIds.map((c) => keys.cohortMembersBase(projectId, c));
    const person = member.personId === null ? '' : String(member.personId);
    type Reply = [number[], Array<string | null>];
    if (S === 1) {
      const [hits, versions] = (await run(redis, IS_MEMBER, current, [...bases, person, 'all', ...member.distinctIds])) as Reply;
      return cohortIds.map((_, i) => ({ member: hits[i] === 1, version: versions[i] == null ? null : Number(versions[i]) }));
    }
    const shard = member.personId === null ? -1 : keys.shardOfChunk(Math.floor(member.personId / CHUNK_IDS));
    const [[hits, versions], inShard] = await Promise.all([
      run(redis, IS_MEMBER, current, [...bases, '', 'all', ...member.distinctIds]) as Promise<Reply>,
      shard < 0
        ? null
        : (run(redis, IS_MEMBER, cohortIds.map((c) => keys.shardCurrent(projectId, c, shard)), [...cohortIds.map((c) => keys.shardMembersBase(projectId, c, shard)), person, 'chunks']) as Promise<Reply>),
    ]);
    return cohortIds.map((_, i) => {
      // A shard without the version the home slot names lost its data: report the cohort as missing.
      const lost = inShard !== null && versions[i] != null && inShard[1][i] == null;
      return { member: !lost && (hits[i] === 1 || inShard?.[0][i] === 1), version: versions[i] == null || lost ? null : Number(versions[i]) };
    });
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
      await dropKeys(projectId, cohortId, version);
      // One pipeline per slot (a Redis Cluster pipeline names keys of one slot): the home slot's, and each shard's.
      let pipes = new Map<number, Pipeline>();
      const pipeOf = (shard: number) => {
        let p = pipes.get(shard);
        if (!p) pipes.set(shard, (p = bulk.pipeline()));
        return p;
      };
      const HOME = S === 1 ? 0 : -1;
      let queued = 0;
      const flush = async () => {
        const all = [...pipes.values()];
        pipes = new Map();
        queued = 0;
        for (const results of await Promise.all(all.map((p) => p.exec()))) for (const [err] of results ?? []) if (err) throw err;
      };
      const queue = async () => {
        if (++queued >= 40) await flush();
      };
      let hasD = false;
      let written = false;
      let chunk = -1;
      let offsets: number[] = [];
      let dids: string[] = [];
      const writeChunk = async () => {
        if (offsets.length === 0) return;
        const shard = keys.shardOfChunk(chunk);
        const shardIdx = shardIndex(keys, projectId, cohortId, version, shard);
        const pipe = pipeOf(shard);
        // The index first: a run that dies half-way leaves only chunks its index names (dropVersion finds them).
        pipe.sadd(shardIdx, chunk);
        pipe.set(`${shardIdx}:k${chunk}`, offsets.length <= INTSET_MAX ? 's' : 'b');
        written = true;
        if (offsets.length <= INTSET_MAX) pipe.sadd(`${shardIdx}:s${chunk}`, ...offsets);
        else {
          const bits = Buffer.alloc(CHUNK_IDS / 8);
          for (const o of offsets) bits[o >> 3] |= 0x80 >> (o & 7); // Redis bit order: bit 0 is the most significant
          pipe.set(`${shardIdx}:b${chunk}`, bits);
        }
        offsets = [];
        await queue();
      };
      // Items are members or batches of them (ports/membership-store.ts Members).
      for await (const item of members) for (const m of typeof item === 'string' ? [item] : item) {
        if (m.startsWith('d:')) {
          hasD = true;
          dids.push(m.slice(2));
          if (dids.length === CHUNK) {
            pipeOf(HOME).sadd(`${index}:d`, ...dids);
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
      if (dids.length) pipeOf(HOME).sadd(`${index}:d`, ...dids);
      // Last, once every chunk's kind key is written: the version's `:k` (whether it has a `:d` set).
      // An empty version gets none and no key at all; readers then try every key (there is none).
      if (written || hasD) pipeOf(HOME).set(`${index}:k`, hasD ? '1' : '0');
      await flush();
      return performance.now() - started;
    },

    /**
     * Makes `version` live, atomically and only forwards. Returns the previous version
     * (0 when none) or -1 when a newer version is already live (the caller then drops its own).
     */
    async switchTo(projectId: number, cohortId: number, version: number): Promise<number> {
      await ready(bulk);
      // Sharded: each shard's pointer first (forward-only each), then the home pointer, whose answer is the switch's.
      if (S > 1) await Promise.all(shards.map((s) => run(bulk, SWITCH, [keys.shardCurrent(projectId, cohortId, s)], [version])));
      return Number(await run(bulk, SWITCH, [keys.cohortCurrent(projectId, cohortId)], [version]));
    },

    /** Deletes one version's set (never the live one: callers pass versions they replaced). */
    async dropVersion(projectId: number, cohortId: number, version: number): Promise<void> {
      if (version <= 0) return;
      await ready(bulk);
      await dropKeys(projectId, cohortId, version);
    },

    /** Unlinks the pointer and the sets of versions `fromVersion..toVersion`; returns how many keys existed. */
    async dropAll(projectId: number, cohortId: number, fromVersion: number, toVersion: number): Promise<number> {
      await ready(bulk);
      let removed = await bulk.unlink(keys.cohortCurrent(projectId, cohortId));
      if (S > 1) for (const s of shards) removed += await bulk.unlink(keys.shardCurrent(projectId, cohortId, s));
      for (let v = Math.max(1, fromVersion); v <= toVersion; v++) removed += await dropKeys(projectId, cohortId, v);
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
      const all = (await versionKeys(projectId, cohortId, version)).flat();
      const sizes = await Promise.all(all.map((k) => bulk.memory('USAGE', k, 'SAMPLES', '0').catch(() => 0)));
      return sizes.reduce<number>((a, n) => a + Number(n ?? 0), 0);
    },
  };
}

