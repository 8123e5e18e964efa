/**
 * Reading materialized cohort versions in the chunked layout of membership-store.ts (an index
 * SET of chunk numbers per version and membership shard, each chunk an intset of offsets
 * `:s<c>` or a bitmap `:b<c>` in its shard's slot, plus a `:d` SET of unseen distinct ids in
 * the project's home slot; keys.ts): one chunk at a time, so a reader holds at
 * most two chunks' offsets, never a whole version. Members are person ids as decimal strings
 * and `d:<distinct_id>`.
 */
import type { MemberScanPage } from '../../ports/membership-store.js';
import type { RedisClient } from './client.js';
import type { Keys } from './keys.js';
import { CHUNK_IDS } from './membership-lua.js';

/**
 * SSCAN's COUNT for member listings. Fixed (never the page size): repeating one SSCAN call
 * with the same cursor and COUNT on an unchanged set returns the same batch, so a page may end
 * inside a batch and the next one skips what was already returned.
 */
export const SCAN_COUNT = 1_000;

/**
 * A listing cursor: `i<chunk>.<offset>` (the next person id to list) or `d<SSCAN cursor>.<skip>`
 * (in the `:d` set: SSCAN's cursor and how many of its batch were already listed).
 */
type ScanPosition = { phase: 'ids'; chunk: number; offset: number } | { phase: 'd'; redisCursor: string; skip: number };
const encodeIds = (chunk: number, offset: number) => `i${chunk}.${offset}`;
const encodeD = (redisCursor: string, skip: number) => `d${redisCursor}.${skip}`;
function decodeScan(cursor: string | null): ScanPosition {
  if (cursor === null) return { phase: 'ids', chunk: 0, offset: 0 };
  const m = /^([id])(\d{1,20})\.(\d{1,7})$/.exec(cursor);
  if (!m) throw new Error(`malformed member scan cursor: ${cursor}`);
  return m[1] === 'i' ? { phase: 'ids', chunk: Number(m[2]), offset: Number(m[3]) } : { phase: 'd', redisCursor: m[2], skip: Number(m[3]) };
}

/** The offsets held by chunk `c` of a version (its intset or its bitmap), ascending. `index`: the version's index in the chunk's shard (chunkIndex). */
async function chunkOffsets(client: RedisClient, index: string, c: number): Promise<number[]> {
  const [[e1, set], [e2, bits]] = ((await client.multi().smembers(`${index}:s${c}`).getBuffer(`${index}:b${c}`).exec()) ?? []) as Array<[Error | null, unknown]>;
  if (e1 || e2) throw e1 ?? e2;
  const offsets = (set as string[]).map(Number);
  const bitmap = bits as Buffer | null;
  if (bitmap) for (let o = 0; o < bitmap.length * 8; o++) if (bitmap[o >> 3] & (0x80 >> (o & 7))) offsets.push(o);
  return offsets.sort((a, b) => a - b);
}

/** The index of version `v` in shard `shard` (keys.shardMembersBase): the SET of that shard's chunk numbers. */
export const shardIndex = (keys: Keys, projectId: number, cohortId: number, version: number, shard: number) => keys.shardMembersBase(projectId, cohortId, shard) + version;

/** The index holding chunk `c` of version `v` (its keys are `<index>:s<c>` and `<index>:b<c>`). */
export const chunkIndex = (keys: Keys, projectId: number, cohortId: number, version: number, c: number) => shardIndex(keys, projectId, cohortId, version, keys.shardOfChunk(c));

/** Every chunk number of one version, ascending: the union of its shards' indexes (one index with one shard). */
export async function versionChunks(client: RedisClient, keys: Keys, projectId: number, cohortId: number, version: number): Promise<number[]> {
  const lists = await Promise.all(Array.from({ length: keys.shards }, (_, s) => client.smembers(shardIndex(keys, projectId, cohortId, version, s))));
  return lists.flat().map(Number).sort((a, b) => a - b);
}

/**
 * The members of one version, person ids ascending, then `d:<distinct_id>` (for tests,
 * benchmarks and tools; it reads the whole version).
 */
export async function readVersionMembers(client: RedisClient, keys: Keys, projectId: number, cohortId: number, version: number): Promise<string[]> {
  const index = keys.cohortMembers(projectId, cohortId, version);
  const ids: string[] = [];
  for (const c of await versionChunks(client, keys, projectId, cohortId, version)) {
    for (const o of await chunkOffsets(client, chunkIndex(keys, projectId, cohortId, version, c), c)) ids.push(String(c * CHUNK_IDS + o));
  }
  const dids = (await client.smembers(`${index}:d`)).sort();
  return [...ids, ...dids.map((d) => `d:${d}`)];
}


  /**
   * One page of a version's members in a stable order: person ids ascending (chunk by chunk
   * from the version's index), then `d:` ids (SSCAN of the `:d` set with a fixed COUNT). Each
   * page first reads the pointer and the index in one MULTI: a version without keys is the
   * end when it is live (an empty version has none), else gone (null). The cursor is a
   * position, so members added or removed meanwhile before it are not listed again.
   */
export async function scanVersion(bulk: RedisClient, keys: Keys, projectId: number, cohortId: number, version: number, cursor: string | null, limit: number): Promise<MemberScanPage | null> {
    const index = keys.cohortMembers(projectId, cohortId, version);
    let live: string | null;
    let exists: number;
    let chunkList: number[];
    if (keys.shards === 1) {
      const replies = (await bulk.multi().get(keys.cohortCurrent(projectId, cohortId)).exists(index, `${index}:d`).smembers(index).exec()) ?? [];
      for (const [err] of replies) if (err) throw err;
      const [v, n, list] = replies.map((r) => r[1]) as [string | null, number, string[]];
      [live, exists, chunkList] = [v, n, list.map(Number)];
    } else {
      // Sharded: the pointer and `:d` in the home slot, the chunk lists in each shard (not one atomic read).
      const replies = (await bulk.multi().get(keys.cohortCurrent(projectId, cohortId)).exists(`${index}:d`).exec()) ?? [];
      for (const [err] of replies) if (err) throw err;
      chunkList = await versionChunks(bulk, keys, projectId, cohortId, version);
      [live, exists] = [replies[0][1] as string | null, Number(replies[1][1]) + chunkList.length];
    }
    if (exists === 0) return live !== null && Number(live) === version ? { members: [], cursor: null } : null;
    const at = decodeScan(cursor);
    const out: string[] = [];
    if (at.phase === 'ids') {
      const chunks = chunkList.filter((c) => c >= at.chunk).sort((a, b) => a - b);
      for (const c of chunks) {
        for (const o of await chunkOffsets(bulk, chunkIndex(keys, projectId, cohortId, version, c), c)) {
          if (c === at.chunk && o < at.offset) continue;
          if (out.length === limit) return { members: out, cursor: encodeIds(c, o) };
          out.push(String(c * CHUNK_IDS + o));
        }
      }
    }
    let { redisCursor, skip } = at.phase === 'd' ? at : { redisCursor: '0', skip: 0 };
    const dKey = `${index}:d`;
    for (;;) {
      const [next, batch] = await bulk.sscan(dKey, redisCursor, 'COUNT', SCAN_COUNT);
      const fresh = batch.slice(skip).map((d) => `d:${d}`);
      const room = limit - out.length;
      if (fresh.length > room) {
        out.push(...fresh.slice(0, room));
        return { members: out, cursor: encodeD(redisCursor, skip + room) };
      }
      out.push(...fresh);
      skip = 0;
      redisCursor = next;
      if (redisCursor === '0') return { members: out, cursor: null };
      if (out.length === limit) return { members: out, cursor: encodeD(redisCursor, 0) };
    }
  }
