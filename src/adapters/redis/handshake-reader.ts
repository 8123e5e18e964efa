import type { RedisClient } from './client.js';
import type { Keys } from './keys.js';

/**
 * One Lua call reads everything a handshake needs from Redis (PRODUCT.md 3, 8.1):
 * identity (distinct_id, else anon_id -> person id -> person document), whether the
 * identity map is complete, membership in each referenced cohort (pointer -> live version
 * set -> SISMEMBER of the person id and of `d:<id>` for not-yet-seen static members), and
 * survey response counters. All keys share the project's `{p<id>}` hash tag (one slot).
 *
 * KEYS: [1] did(distinct_id) [2] did(anon_id) or KEYS[1] [3] identity-ready
 *       [4 .. 3+n] cohort pointers  [4+n ..] survey response counters
 * ARGV: [1] person key prefix  [2] n  [3] distinct_id  [4] anon_id or ''
 *       [5 .. 4+n] member-set key prefixes (the version number is appended)
 * Returns: { person id | false, person document | false, ready 0/1, used anon 0/1,
 *            membership bits "0110…", { response counts } }
 */
export const HANDSHAKE_LUA = `
local pid = redis.call('GET', KEYS[1])
local used_anon = 0
if (not pid) and KEYS[2] ~= KEYS[1] then
  pid = redis.call('GET', KEYS[2])
  if pid then used_anon = 1 end
end
local doc = false
if pid then doc = redis.call('GET', ARGV[1] .. pid) end
local ready = redis.call('EXISTS', KEYS[3])
local n = tonumber(ARGV[2])
local did = 'd:' .. ARGV[3]
local anon = false
if ARGV[4] ~= '' then anon = 'd:' .. ARGV[4] end
local bits = {}
for i = 1, n do
  local v = redis.call('GET', KEYS[3 + i])
  local m = '0'
  if v then
    local set = ARGV[4 + i] .. v
    if (pid and redis.call('SISMEMBER', set, pid) == 1)
      or redis.call('SISMEMBER', set, did) == 1
      or (anon and redis.call('SISMEMBER', set, anon) == 1) then
      m = '1'
    end
  end
  bits[i] = m
end
local responses = {}
for j = 4 + n, #KEYS do
  responses[#responses + 1] = redis.call('GET', KEYS[j]) or '0'
end
return { pid or false, doc, ready, used_anon, table.concat(bits), responses }
`;

/** The person document stored by the identity cache (see identity service). */
export interface PersonDocument {
  id: number;
  /** bucketing key */
  b: string;
  /** stored properties */
  p: Record<string, unknown>;
  /** identified */
  i?: boolean;
  /** survey history: answered keys, last shown (unix ms) */
  s?: { a?: string[]; l?: number | null };
}

export interface HandshakeRead {
  personId: number | null;
  person: PersonDocument | null;
  /** the identity map of the project is complete in Redis: a miss means "unknown id" */
  identityReady: boolean;
  usedAnon: boolean;
  /** one entry per requested cohort id, in order */
  members: boolean[];
  /** one entry per requested survey key, in order */
  responses: number[];
}

type Raw = [string | null, string | null, number, number, string, string[]];

export function createHandshakeReader(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  redis.defineCommand('sbHandshake', { lua: HANDSHAKE_LUA });
  const call = (redis as unknown as { sbHandshake(n: number, ...args: string[]): Promise<Raw> }).sbHandshake.bind(redis);

  // The per-project part of the arguments is the same for every handshake of one snapshot.
  const fixed = new WeakMap<readonly number[], { keys: string[]; prefixes: string[]; personPrefix: string }>();
  function fixedArgs(projectId: number, cohortIds: readonly number[], surveyKeys: readonly string[]) {
    let f = fixed.get(cohortIds);
    if (!f) {
      const k: string[] = [keys.identityReady(projectId)];
      const prefixes: string[] = [];
      for (const id of cohortIds) {
        k.push(keys.cohortCurrent(projectId, id));
        prefixes.push(keys.cohortMembers(projectId, id, 0).slice(0, -1));
      }
      for (const s of surveyKeys) k.push(keys.surveyResponses(projectId, s));
      f = { keys: k, prefixes, personPrefix: keys.person(projectId, 0).slice(0, -1) };
      fixed.set(cohortIds, f);
    }
    return f;
  }

  return {
    /**
     * One round trip (EVALSHA). `cohortIds` and `surveyKeys` should be the same array objects
     * for one snapshot (their keys are built once). Rejects on a Redis error or timeout;
     * callers degrade.
     */
    async read(projectId: number, distinctId: string, anonId: string | null, cohortIds: readonly number[], surveyKeys: readonly string[]): Promise<HandshakeRead> {
      const didKey = keys.distinctId(projectId, distinctId);
      const f = fixedArgs(projectId, cohortIds, surveyKeys);
      const raw = await call(f.keys.length + 2, didKey, anonId ? keys.distinctId(projectId, anonId) : didKey, ...f.keys, f.personPrefix, String(cohortIds.length), distinctId, anonId ?? '', ...f.prefixes);
      const [pid, doc, ready, usedAnon, bits, responses] = raw;
      const members = new Array<boolean>(cohortIds.length);
      for (let i = 0; i < cohortIds.length; i++) members[i] = bits.charCodeAt(i) === 49;
      return {
        personId: pid === null ? null : Number(pid),
        person: doc === null ? null : (JSON.parse(doc) as PersonDocument),
        identityReady: ready === 1,
        usedAnon: usedAnon === 1,
        members,
        responses: responses.map(Number),
      };
    },
  };
}

export type HandshakeReader = ReturnType<typeof createHandshakeReader>;
