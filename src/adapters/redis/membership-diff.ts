/**
 * Who entered and who left a cohort between two materialized versions, computed INSIDE
 * Redis, one chunk of 16,384 person ids per script call (membership-lua.ts describes the
 * layout): the script compares the two versions' intsets or bitmaps of one chunk and returns
 * only the offsets that differ, so the process never holds either version, only the changes
 * (docs/history.md). `:d` sets (unseen static ids) are diffed with SDIFF.
 *
 * Chunk c of both versions lies in the same membership shard (keys.ts `shardOfChunk`), so each
 * call's keys lie in one Redis Cluster slot; calls run concurrently (ioredis pipelines them, and
 * a cluster client routes each to its slot's node).
 */
import { createHash } from 'node:crypto';
import { runScript } from './run-script.js';
import type { RedisClient } from './client.js';
import type { Keys } from './keys.js';
import { CHUNK_IDS, type LuaScript } from './membership-lua.js';
import { chunkIndex, versionChunks } from './membership-read.js';

/** One chunk's (or the `:d` set's) changes: member strings (person ids, `d:<distinct_id>`). */
export interface ChunkDiff {
  entered: string[];
  left: string[];
}

/**
 * KEYS: new `:s<c>`, new `:b<c>`, old `:s<c>`, old `:b<c>` (a chunk is either an intset of
 * offsets or a 2,048-byte bitmap). Reply: { entered offsets, left offsets }.
 * Bitmaps are compared byte by byte; only differing bytes are looked at bit by bit.
 */
const CHUNK_DIFF_LUA = `
local function members(s, b)
  local bits = redis.call('GET', b)
  if bits then return nil, bits end
  local t = {}
  for _, o in ipairs(redis.call('SMEMBERS', s)) do t[tonumber(o)] = true end
  return t, nil
end
local function has(t, bits, o)
  if t then return t[o] == true end
  local byte = string.byte(bits, math.floor(o / 8) + 1)
  if not byte then return false end
  return bit.band(byte, bit.rshift(128, o % 8)) ~= 0
end
local function each(t, bits, fn)
  if t then for o in pairs(t) do fn(o) end return end
  for i = 1, #bits do
    local byte = string.byte(bits, i)
    if byte ~= 0 then
      for j = 0, 7 do if bit.band(byte, bit.rshift(128, j)) ~= 0 then fn((i - 1) * 8 + j) end end
    end
  end
end
local nt, nb = members(KEYS[1], KEYS[2])
local ot, ob = members(KEYS[3], KEYS[4])
local entered, left = {}, {}
if nb and ob then
  local len = math.max(#nb, #ob)
  for i = 1, len do
    local x, y = string.byte(nb, i) or 0, string.byte(ob, i) or 0
    if x ~= y then
      for j = 0, 7 do
        local m = bit.rshift(128, j)
        local inNew, inOld = bit.band(x, m) ~= 0, bit.band(y, m) ~= 0
        if inNew and not inOld then entered[#entered + 1] = (i - 1) * 8 + j
        elseif inOld and not inNew then left[#left + 1] = (i - 1) * 8 + j end
      end
    end
  end
else
  each(nt, nb, function(o) if not has(ot, ob, o) then entered[#entered + 1] = o end end)
  each(ot, ob, function(o) if not has(nt, nb, o) then left[#left + 1] = o end end)
end
return { entered, left }
`;

const CHUNK_DIFF: LuaScript = { lua: CHUNK_DIFF_LUA, sha: createHash('sha1').update(CHUNK_DIFF_LUA).digest('hex') };

/** Chunks whose script calls share one pipeline (one round trip). */
const CHUNKS_PER_ROUND_TRIP = 16;

/**
 * The changes from version `from` to version `to`, chunk by chunk in ascending person-id
 * order, then the `:d` set's. `from` 0 means no previous version (everyone entered). Yields
 * only non-empty diffs. Memory: the changes of up to 16 chunks at a time.
 */
export async function* diffChunks(client: RedisClient, keys: Keys, projectId: number, cohortId: number, from: number, to: number): AsyncGenerator<ChunkDiff> {
  const [a, b] = await Promise.all([versionChunks(client, keys, projectId, cohortId, to), from > 0 ? versionChunks(client, keys, projectId, cohortId, from) : Promise.resolve([] as number[])]);
  const chunks = [...new Set([...a, ...b])].sort((x, y) => x - y);
  // A version that does not exist has no keys, so it reads as empty: for `from` 0 an absent name is used.
  const oldIndexOf = (c: number) => (from > 0 ? chunkIndex(keys, projectId, cohortId, from, c) : `${chunkIndex(keys, projectId, cohortId, to, c)}:none`);
  for (let i = 0; i < chunks.length; i += CHUNKS_PER_ROUND_TRIP) {
    const batch = chunks.slice(i, i + CHUNKS_PER_ROUND_TRIP);
    // One chunk's keys of both versions lie in that chunk's shard (one slot); pipelined per call.
    const replies = await Promise.all(
      batch.map((c) => {
        const n = chunkIndex(keys, projectId, cohortId, to, c);
        const o = oldIndexOf(c);
        return runScript(client, CHUNK_DIFF, [`${n}:s${c}`, `${n}:b${c}`, `${o}:s${c}`, `${o}:b${c}`]).then(
          (r) => [null, r] as const,
          (err: unknown) => [err, null] as const,
        );
      }),
    );
    for (let j = 0; j < batch.length; j++) {
      const [err, reply] = replies[j];
      if (err) throw err;
      const [entered, left] = reply as [number[], number[]];
      if (entered.length === 0 && left.length === 0) continue;
      const base = batch[j] * CHUNK_IDS;
      yield { entered: entered.sort((x, y) => x - y).map((o) => String(base + o)), left: left.sort((x, y) => x - y).map((o) => String(base + o)) };
    }
  }
  const newIndex = keys.cohortMembers(projectId, cohortId, to);
  const oldIndex = keys.cohortMembers(projectId, cohortId, from);
  const [dIn, dOut] = from > 0
    ? await Promise.all([client.sdiff(`${newIndex}:d`, `${oldIndex}:d`), client.sdiff(`${oldIndex}:d`, `${newIndex}:d`)])
    : [await client.smembers(`${newIndex}:d`), [] as string[]];
  if (dIn.length || dOut.length) yield { entered: dIn.sort().map((d) => `d:${d}`), left: dOut.sort().map((d) => `d:${d}`) };
}

/**
 * Who is in version `to` and not in `from` (entered) and the reverse (left), computed in
 * Redis chunk by chunk: the process holds only the changes, never either version. `from` 0
 * means no previous version (everyone entered). Members as in readVersionMembers.
 */
export async function diffVersions(client: RedisClient, keys: Keys, projectId: number, cohortId: number, from: number, to: number): Promise<ChunkDiff> {
  const entered: string[] = [];
  const left: string[] = [];
  for await (const d of diffChunks(client, keys, projectId, cohortId, from, to)) {
    entered.push(...d.entered);
    left.push(...d.left);
  }
  return { entered, left };
}
