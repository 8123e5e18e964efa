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
 * - kind keys tell readers which key to read without trying both: `<base><version>:k<chunk>`
 *   is 's' or 'b' for each chunk that has members (in the chunk's slot), and
 *   `<base><version>:k` is '1' when the version has a `:d` set, '0' when it has none. A
 *   version written since kind keys exist and holding anything has `:k`; without it (an
 *   empty version, or one written by an older release) readers try every key as before.
 *   Written with the chunks (before the version goes live), kept by event-driven updates,
 *   dropped with the version. (String keys, not one hash per project: a hash of a few
 *   hundred fields is a listpack, where each lookup is a linear scan.)
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
 *   sb_cohort_membership(current_keys, bases, person_id, distinct_ids, chunks_only) -> hits, versions
 *
 * - current_keys[i]: `keys.cohortCurrent(p, cohort_i)` (declare them in KEYS)
 * - bases[i]:        `keys.cohortMembersBase(p, cohort_i)`; the version's keys start `bases[i] .. version`
 * - person_id:       decimal person id, or '' when the person is unknown
 * - distinct_ids:    the request's distinct ids, checked in the version's `:d` set (static ids not seen yet)
 * - chunks_only:     true in a membership shard's slot (current_keys and bases from
 *                    keys.shardCurrent and keys.shardMembersBase): only the person's chunk is
 *                    read, by its kind key; `:d` sets live in the home slot (checked there with
 *                    person_id '').
 * Returns two arrays of #current_keys entries: hits[i] = 1 or 0; versions[i] = the version
 * read (a string) or false when the cohort has no materialization yet.
 *
 * Cost: one MGET of every pointer, one MGET of the kind keys (per live cohort its version's
 * `:k` and the person's chunk's `:k<c>`), then per cohort at most one O(1) read: the
 * SISMEMBER or GETBIT the kind names (none when the person's chunk holds no member), plus
 * one SMISMEMBER only for versions that have a `:d` set (static cohorts). A version without
 * `:k` (empty, or written by an older release) is read as before: SISMEMBER, GETBIT on a
 * miss, SMISMEMBER. At most a few thousand cohorts per call (Lua's unpack limit).
 */
export const MEMBERSHIP_LUA_FUNCTION = `${CHUNK_LUA}
local function sb_cohort_membership(current_keys, bases, person_id, distinct_ids, chunks_only)
  local hits, versions = {}, {}
  local n = #current_keys
  if n == 0 then return hits, versions end
  local chunk, offset
  if person_id ~= '' then chunk, offset = sb_chunk(person_id) end
  -- One MGET for every pointer (one command instead of one GET per cohort).
  local live = redis.call('MGET', unpack(current_keys))
  -- One MGET of the kind keys of every live cohort: its version's ':k', then its chunk's.
  local kinds, at = {}, {}
  for i = 1, n do
    local v = live[i]
    if v then
      local k = bases[i] .. v .. ':k'
      if chunks_only then
        at[i] = #kinds
      else
        at[i] = #kinds + 1
        kinds[#kinds + 1] = k
      end
      if chunk then kinds[#kinds + 1] = k .. chunk end
    end
  end
  local kind = {}
  if #kinds > 0 then kind = redis.call('MGET', unpack(kinds)) end
  for i = 1, n do
    local v = live[i]
    local hit = 0
    if v then
      local prefix = bases[i] .. v
      local dflag
      if chunks_only then dflag = '0' else dflag = kind[at[i]] end
      if dflag then
        if chunk then
          local c = kind[at[i] + 1]
          if c == 's' then hit = redis.call('SISMEMBER', prefix .. ':s' .. chunk, offset)
          elseif c == 'b' then hit = redis.call('GETBIT', prefix .. ':b' .. chunk, offset) end
        end
      elseif chunk then
        -- A version without kind keys (empty, or written by an older release): try both chunk kinds.
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
 * KEYS[1..n]: cohortCurrent keys (or one shard's shardCurrent). ARGV[1..n]: cohortMembersBase
 * (or shardMembersBase) of the same cohorts; ARGV[n+1]: person id or ''; ARGV[n+2]: 'all',
 * or 'chunks' in a membership shard; ARGV[n+3..]: distinct ids.
 * Reply: { hits (n integers 0/1), versions (n strings or nil) }.
 */
export const IS_MEMBER = script(`${MEMBERSHIP_LUA_FUNCTION}
local n = #KEYS
local bases, dids = {}, {}
for i = 1, n do bases[i] = ARGV[i] end
for j = n + 3, #ARGV do dids[#dids + 1] = ARGV[j] end
local hits, versions = sb_cohort_membership(KEYS, bases, ARGV[n + 1], dids, ARGV[n + 2] == 'chunks')
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
 * KEYS[1]: cohortCurrent; ARGV[1]: cohortMembersBase; ARGV[2]: 'add' or 'rem'; ARGV[3]:
 * 'all', or 'chunks' in a membership shard (KEYS[1] and ARGV[1] then name the shard's
 * shardCurrent and shardMembersBase; only person ids of the shard's chunks); ARGV[4..]:
 * members, person ids or `d:<distinct_id>` (at most a few thousand per call).
 * An intset chunk that grows past INTSET_MAX members is turned into a bitmap on the spot,
 * so the layout stays compact between refreshes. Kind keys follow every chunk created or
 * converted and the `:d` flag, for versions that have kind keys (in a shard, always); a
 * version without them is read by trying every key, so it is left without.
 * Reply: { the version changed, how many members were added or removed }, or nil when the
 * cohort has no live version (nothing done, so no stray key is ever created for a dropped
 * version).
 */
export const APPLY = script(`${CHUNK_LUA}
local v = redis.call('GET', KEYS[1])
if not v then return nil end
local prefix = ARGV[1] .. v
local kinds = ARGV[3] == 'chunks' or redis.call('EXISTS', prefix .. ':k') == 1
local add = ARGV[2] ~= 'rem'
local n = 0
for i = 4, #ARGV do
  local m = ARGV[i]
  if string.sub(m, 1, 2) == 'd:' then
    if add then
      if kinds then redis.call('SET', prefix .. ':k', '1') end
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
          if kinds then redis.call('SET', prefix .. ':k' .. chunk, 'b') end
        elseif kinds then redis.call('SET', prefix .. ':k' .. chunk, 's') end
      end
    else
      if redis.call('SREM', s, offset) == 1 then n = n + 1
      elseif redis.call('EXISTS', b) == 1 and redis.call('SETBIT', b, offset, 0) == 1 then n = n + 1 end
    end
  end
end
return { tonumber(v), n }
`);
