/**
 * Lua for cohort membership in Redis (docs/cohorts.md, "Redis key layout"). A cohort's
 * members live in a versioned SET (`keys.cohortMembers`); `keys.cohortCurrent` names the
 * live version. Every reader reads the pointer and the set inside one script, so it sees
 * one whole version, old or new, never a half-written one.
 *
 * All keys of a project share the `{p<id>}` hash tag: the member-set key a script builds
 * from a base plus the version it read lies in the same Redis Cluster slot as the
 * declared pointer key.
 */
import { createHash } from 'node:crypto';

/** A script and its SHA1, for EVALSHA with an EVAL fallback. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

const script = (lua: string): LuaScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

/**
 * The membership check as a Lua function, to fold into a larger script (the handshake's
 * identity + membership script):
 *
 *   sb_cohort_membership(current_keys, bases, person_id, distinct_ids) -> hits, versions
 *
 * - current_keys[i]: `keys.cohortCurrent(p, cohort_i)` (declare them in KEYS)
 * - bases[i]:        `keys.cohortMembersBase(p, cohort_i)`; the set is `bases[i] .. version`
 * - person_id:       decimal person id, or '' when the person is unknown
 * - distinct_ids:    the request's distinct ids, checked as `d:<id>` (static ids not seen yet)
 * Returns two arrays of #current_keys entries: hits[i] = 1 or 0; versions[i] = the version
 * read (a string) or false when the cohort has no materialization yet.
 * Cost: one MGET of every pointer, then one SMISMEMBER per materialized cohort (O(1) per
 * member checked). At most a few thousand cohorts per call (Lua's unpack limit).
 */
export const MEMBERSHIP_LUA_FUNCTION = `
local function sb_cohort_membership(current_keys, bases, person_id, distinct_ids)
  local hits, versions = {}, {}
  local probe = {}
  if person_id ~= '' then probe[#probe + 1] = person_id end
  for j = 1, #distinct_ids do probe[#probe + 1] = 'd:' .. distinct_ids[j] end
  if #current_keys == 0 then return hits, versions end
  -- One MGET for every pointer (one command instead of one GET per cohort).
  local live = redis.call('MGET', unpack(current_keys))
  for i = 1, #current_keys do
    local v = live[i]
    local hit = 0
    if v and #probe > 0 then
      local found = redis.call('SMISMEMBER', bases[i] .. v, unpack(probe))
      for j = 1, #found do
        if found[j] == 1 then hit = 1; break end
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
 * KEYS[1..n]: cohortCurrent keys. ARGV[1..n]: cohortMembersBase of the same cohorts;
 * ARGV[n+1]: person id or ''; ARGV[n+2..]: distinct ids.
 * Reply: { hits (n integers 0/1), versions (n strings or nil) }.
 */
export const IS_MEMBER = script(`${MEMBERSHIP_LUA_FUNCTION}
local n = #KEYS
local bases, dids = {}, {}
for i = 1, n do bases[i] = ARGV[i] end
for j = n + 2, #ARGV do dids[#dids + 1] = ARGV[j] end
local hits, versions = sb_cohort_membership(KEYS, bases, ARGV[n + 1], dids)
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
 * KEYS[1]: cohortCurrent; ARGV[1]: cohortMembersBase; ARGV[2]: 'add' or 'rem';
 * ARGV[3..]: members (at most a few thousand per call).
 * Reply: { the version changed, how many members were added or removed }, or nil when the
 * cohort has no live version (nothing done, so no stray set is ever created for a dropped
 * version).
 */
export const APPLY = script(`
local v = redis.call('GET', KEYS[1])
if not v then return nil end
if #ARGV < 3 then return { tonumber(v), 0 } end
local cmd = 'SADD'
if ARGV[2] == 'rem' then cmd = 'SREM' end
local n = redis.call(cmd, ARGV[1] .. v, unpack(ARGV, 3))
return { tonumber(v), n }
`);
