/**
 * Lua for cohort membership in Redis (docs/scaling.md, "Membership layout"). A cohort's
 * materialized version is stored compactly over person ids (issue 16: at most 4 bytes per
 * membership with Redis's default settings):
 * - person ids are cut into chunks of CHUNK_IDS (16,384) ids; a chunk holding at most
 *   INTSET_MAX (512, Redis's default set-max-intset-entries) members is a SET of the ids'
 *   offsets in the chunk, which Redis keeps as an intset of 16-bit integers (2 bytes each);
 *   a fuller chunk is a bitmap string of 2,048 bytes (under 4 bytes per member, since it
 *   has more than 512). Keys: `<base><version>:s<chunk>` and `<base><version>:b<chunk>`;
 * - `<base><version>:d` holds the static cohort's distinct ids that have no person yet;
 * - `<base><version>` (keys.cohortMembers) is the version's index: the SET of its chunk
 *   numbers, used to drop and measure a version;
 * - the project's directory (keys.cohortDirectory, one HASH) tells readers which key to read:
 *   `<cohort>:<version>:d` is '1' when the version has a `:d` set, '0' when it has none (every
 *   version written since the directory exists has this field), `<cohort>:<version>:<chunk>`
 *   is 's' or 'b' for each chunk that has members. Written with the chunks (before the
 *   version goes live), kept by event-driven updates, deleted with the version.
 * `keys.cohortCurrent` names the live version. Every reader reads the pointer and the chunk
 * inside one script, so it sees one whole version, old or new, never a half-written one.
 *
 * All keys of a project share the `{p<id>}` hash tag: keys a script builds from a base
 * plus the version it read lie in the same Redis Cluster slot as the declared pointer key.
 */
import { createHash } from 'node:crypto';

/** A script and its SHA1, for EVALSHA with an EVAL fallback. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

const script = (lua: string): LuaScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

/** Person ids per chunk: offsets fit a 16-bit intset entry. */
export const CHUNK_IDS = 16_384;
/** Most members of an intset chunk (Redis's default set-max-intset-entries); more make a bitmap. */
export const INTSET_MAX = 512;

/**
 * Lua helpers shared by the readers and the writers: `sb_chunk(person_id)` -> chunk number
 * (decimal string) and offset of a person id (a decimal string, below 2^53).
 */
const CHUNK_LUA = `
local function sb_chunk(person_id)
  local n = tonumber(person_id)
  local chunk = math.floor(n / ${CHUNK_IDS})
  return string.format('%d', chunk), n - chunk * ${CHUNK_IDS}
end
`;

/**
 * The membership check as a Lua function, to fold into a larger script (the handshake's
 * identity + membership script):
 *
 *   sb_cohort_membership(current_keys, bases, dir_key, cids, person_id, distinct_ids, chunks_only) -> hits, versions
 *
 * - current_keys[i]: `keys.cohortCurrent(p, cohort_i)` (declare them in KEYS)
 * - bases[i]:        `keys.cohortMembersBase(p, cohort_i)`; the version's keys start `bases[i] .. version`
 * - dir_key:         `keys.cohortDirectory(p)` (declare it in KEYS)
 * - cids[i]:         cohort_i's id (decimal string): the directory's fields start `<cid>:<version>:`
 * - person_id:       decimal person id, or '' when the person is unknown
 * - distinct_ids:    the request's distinct ids, checked in the version's `:d` set (static ids not seen yet)
 * - chunks_only:     true for a membership shard's slot (keys.shardCurrent, shardMembersBase,
 *                    shardDirectory): its directory has chunk fields only, no `:d` flag, and
 *                    `:d` sets live in the home slot (checked there with person_id '').
 * Returns two arrays of #current_keys entries: hits[i] = 1 or 0; versions[i] = the version
 * read (a string) or false when the cohort has no materialization yet.
 *
 * Cost: one MGET of every pointer, one HMGET of the directory (per live cohort the version's
 * `:d` flag and the kind of the person's chunk), then per cohort at most one O(1) read: the
 * SISMEMBER or GETBIT the directory names (none when the person's chunk holds no member),
 * plus one SMISMEMBER only for versions that have a `:d` set (static cohorts). A version
 * written before the directory existed (its `:d` flag missing) is read as before: SISMEMBER,
 * GETBIT on a miss, SMISMEMBER. At most a few thousand cohorts per call (Lua's unpack limit).
 */
export const MEMBERSHIP_LUA_FUNCTION = `${CHUNK_LUA}
local function sb_cohort_membership(current_keys, bases, dir_key, cids, person_id, distinct_ids, chunks_only)
  local hits, versions = {}, {}
  local n = #current_keys
  if n == 0 then return hits, versions end
  local chunk, offset
  if person_id ~= '' then chunk, offset = sb_chunk(person_id) end
  -- One MGET for every pointer (one command instead of one GET per cohort).
  local live = redis.call('MGET', unpack(current_keys))
  -- One HMGET of the directory for every live cohort: its ':d' flag, then its chunk's kind.
  local fields, at = {}, {}
  for i = 1, n do
    local v = live[i]
    if v then
      local f = cids[i] .. ':' .. v .. ':'
      if chunks_only then
        at[i] = #fields
        if chunk then fields[#fields + 1] = f .. chunk end
      else
        at[i] = #fields + 1
        fields[#fields + 1] = f .. 'd'
        if chunk then fields[#fields + 1] = f .. chunk end
      end
    end
  end
  local dir = {}
  if #fields > 0 then dir = redis.call('HMGET', dir_key, unpack(fields)) end
  for i = 1, n do
    local v = live[i]
    local hit = 0
    if v then
      local prefix = bases[i] .. v
      local dflag
      if chunks_only then dflag = '0' else dflag = dir[at[i]] end
      if dflag then
        if chunk then
          local kind = dir[at[i] + 1]
          if kind == 's' then hit = redis.call('SISMEMBER', prefix .. ':s' .. chunk, offset)
          elseif kind == 'b' then hit = redis.call('GETBIT', prefix .. ':b' .. chunk, offset) end
        end
      elseif chunk then
        -- A version without a directory entry (written by an older release): try both chunk kinds.
        if redis.call('SISMEMBER', prefix .. ':s' .. chunk, offset) == 1 or redis.call('GETBIT', prefix .. ':b' .. chunk, offset) == 1 then hit = 1 end
      end
      if hit == 0 and dflag ~= '0' and #distinct_ids > 0 then
        local found = redis.call('SMISMEMBER', prefix .. ':d', unpack(distinct_ids))
        for j = 1, #found do
          if found[j] == 1 then hit = 1; break end
        end
      end
    end
    hits[i] = hit
    versions[i] = v or false
  end
  return hits, versions
end
`;

/**
 * Standalone membership script.
 * KEYS[1..n]: cohortCurrent keys (or one shard's shardCurrent); KEYS[n+1]: cohortDirectory (or
 * the shard's shardDirectory). ARGV[1..n]: cohortMembersBase (or shardMembersBase) of the same
 * cohorts; ARGV[n+1..2n]: their ids; ARGV[2n+1]: person id or ''; ARGV[2n+2]: 'all', or
 * 'chunks' in a membership shard; ARGV[2n+3..]: distinct ids.
 * Reply: { hits (n integers 0/1), versions (n strings or nil) }.
 */
export const IS_MEMBER = script(`${MEMBERSHIP_LUA_FUNCTION}
local n = #KEYS - 1
local current, bases, cids, dids = {}, {}, {}, {}
for i = 1, n do
  current[i] = KEYS[i]
  bases[i] = ARGV[i]
  cids[i] = ARGV[n + i]
end
for j = 2 * n + 3, #ARGV do dids[#dids + 1] = ARGV[j] end
local hits, versions = sb_cohort_membership(current, bases, KEYS[n + 1], cids, ARGV[2 * n + 1], dids, ARGV[2 * n + 2] == 'chunks')
return { hits, versions }
`);

/**
 * Monotonic atomic switch. KEYS[1]: cohortCurrent; ARGV[1]: the new version.
 * Sets the pointer only if the new version is above the live one (a worker whose lease
 * expired can never switch back to an older computation).
 * Reply: the previous version (0 when there was none), or -1 when refused.
 */
export const SWITCH = script(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local new = tonumber(ARGV[1])
if new <= cur then return -1 end
redis.call('SET', KEYS[1], ARGV[1])
return cur
`);

/**
 * Adds or removes members of the live version (event-driven updates, static edits).
 * KEYS[1]: cohortCurrent; KEYS[2]: cohortDirectory; ARGV[1]: cohortMembersBase; ARGV[2]:
 * 'add' or 'rem'; ARGV[3]: the cohort id; ARGV[4]: 'all', or 'chunks' in a membership shard
 * (KEYS and ARGV[1] then name the shard's keys: shardCurrent, shardDirectory,
 * shardMembersBase; only person ids of the shard's chunks); ARGV[5..]: members, person ids or
 * `d:<distinct_id>` (at most a few thousand per call).
 * An intset chunk that grows past INTSET_MAX members is turned into a bitmap on the spot,
 * so the layout stays compact between refreshes. The directory follows every chunk created
 * or converted and the `:d` flag (for versions that have a directory entry; an older
 * version's readers try every key anyway).
 * Reply: { the version changed, how many members were added or removed }, or nil when the
 * cohort has no live version (nothing done, so no stray key is ever created for a dropped
 * version).
 */
export const APPLY = script(`${CHUNK_LUA}
local v = redis.call('GET', KEYS[1])
if not v then return nil end
local prefix = ARGV[1] .. v
local dir = KEYS[2]
local field = ARGV[3] .. ':' .. v .. ':'
local listed = ARGV[4] == 'chunks' or redis.call('HEXISTS', dir, field .. 'd') == 1
local add = ARGV[2] ~= 'rem'
local n = 0
for i = 5, #ARGV do
  local m = ARGV[i]
  if string.sub(m, 1, 2) == 'd:' then
    if add then
      if listed then redis.call('HSET', dir, field .. 'd', '1') end
      n = n + redis.call('SADD', prefix .. ':d', string.sub(m, 3))
    else n = n + redis.call('SREM', prefix .. ':d', string.sub(m, 3)) end
  else
    local chunk, offset = sb_chunk(m)
    local s, b = prefix .. ':s' .. chunk, prefix .. ':b' .. chunk
    if add then
      if redis.call('EXISTS', b) == 1 then
        if redis.call('SETBIT', b, offset, 1) == 0 then n = n + 1 end
      elseif redis.call('SADD', s, offset) == 1 then
        n = n + 1
        redis.call('SADD', prefix, chunk)
        if redis.call('SCARD', s) > ${INTSET_MAX} then
          local offsets = redis.call('SMEMBERS', s)
          for j = 1, #offsets do redis.call('SETBIT', b, offsets[j], 1) end
          redis.call('DEL', s)
          if listed then redis.call('HSET', dir, field .. chunk, 'b') end
        elseif listed then redis.call('HSET', dir, field .. chunk, 's') end
      end
    else
      if redis.call('SREM', s, offset) == 1 then n = n + 1
      elseif redis.call('EXISTS', b) == 1 and redis.call('SETBIT', b, offset, 0) == 1 then n = n + 1 end
    end
  end
end
return { tonumber(v), n }
`);
