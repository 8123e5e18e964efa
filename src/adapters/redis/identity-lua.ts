/**
 * Lua scripts of the identity cache. Every key of one call shares the project's `{p<id>}`
 * hash tag (one Redis Cluster slot), so building a person key from ARGV[1] inside the
 * script stays in the slot of the declared keys.
 */

/**
 * The identity lookup, as a fragment another script can embed (e.g. the handshake script
 * folding identity and cohort membership into ONE call). It defines the locals
 * `ready` (0/1), `pid` (person id string or false), `doc` (person JSON or false) and
 * `used_anon` (0/1), following PRODUCT.md 5: distinct_id's person when the distinct_id is
 * mapped, otherwise anon_id's person.
 *
 * KEYS[1] `keys.identityReady(p)`
 * KEYS[2] `keys.distinctId(p, distinct_id)`
 * KEYS[3] `keys.distinctId(p, anon_id)`, or KEYS[2] again when there is no anon_id
 * ARGV[1] person key prefix: `keys.person(p, 0)` without the trailing `0`
 */
export const IDENTITY_LOOKUP_FRAGMENT = `
local ready = redis.call('EXISTS', KEYS[1])
local used_anon = 0
local pid = redis.call('GET', KEYS[2])
if (not pid) and KEYS[3] ~= KEYS[2] then
  pid = redis.call('GET', KEYS[3])
  if pid then used_anon = 1 end
end
local doc = false
if pid then doc = redis.call('GET', ARGV[1] .. pid) end
`;

/**
 * The whole lookup: one round trip. Contract as in the fragment; returns
 * `{ ready 0/1, person JSON or nil, used_anon 0/1 }`.
 */
export const IDENTITY_LOOKUP_LUA = `${IDENTITY_LOOKUP_FRAGMENT}
return { ready, doc, used_anon }
`;

/**
 * Versioned write of one person document: the document starts with `{"u":<version>`
 * (µs, see PersonDoc.version) and an older version never overwrites a newer one, so
 * write-throughs and rebuilds may land in any order.
 * KEYS[1] person key; ARGV[1] version; ARGV[2] document. Returns 1 when written.
 */
export const PERSON_DOC_SET_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local v = tonumber(string.match(cur, '^{"u":(%d+)'))
  if v and v > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;
