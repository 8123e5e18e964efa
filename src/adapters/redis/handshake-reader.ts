/**
 * The handshake's one Redis call (PRODUCT.md 3, 8.1), built from the same Lua fragments as
 * the standalone lookups: the identity lookup (identity-lua.ts) and the membership check
 * (membership-lua.ts), plus the survey response counters. All keys share the project's
 * `{p<id>}` hash tag (one Redis Cluster slot).
 *
 * KEYS: [1] identity-ready [2] did(distinct_id) [3] did(anon_id) or KEYS[2]
 *       [4] the project's `decide` rate counter (counted when ARGV[5] ~= '')
 *       [5 .. 4+n] cohort pointers  [5+n ..] survey response counters
 * ARGV: [1] person key prefix  [2] n  [3] distinct_id  [4] anon_id or ''
 *       [5] rate counter ttl ms, or '' not to count
 *       [6] the cohort key prefix (`keys.cohortMembersBase(p, c)` is `<this><c>:v`)
 *       [7] the cohort ids, comma-separated (one argument instead of n: cheaper to send)
 *       [8] 'all', or 'd' when the membership is sharded (the chunks are read in the
 *       person's shard, below)
 * Returns: { person id | false, person document | false, ready 0/1, used anon 0/1,
 *            membership "0120…" (0 not a member, 1 member, 2 no live version), { response counts },
 *            the rate counter (0 when not counted) }
 * So the rate limit costs the handshake nothing but an INCR inside the same call.
 *
 * With sharded membership (keys.shards > 1) the chunks of a person live in the person's shard
 * (another slot, maybe another node), known only once identity has answered: a second script
 * (membership-lua.ts IS_MEMBER, 'chunks') reads them there. Both are sent at once when this
 * process has seen the distinct id before (a bounded map distinct_id -> person id, checked
 * against identity's answer: a guess that proves wrong, after an alias, is read again for the
 * right person), so a returning person costs one round trip of latency; a distinct id seen
 * first by this process costs two; an unknown person one (no chunk to read).
 *
 * The timeout (`timeoutMs`) is measured against the reply's arrival, not against our own
 * event loop: when the timer fires, the verdict waits for one setImmediate, which runs after
 * the poll phase has read every reply already on the socket. So a busy process never answers
 * in degraded mode because of itself; only a slow or unreachable Redis does. A connection
 * that is not ready fails at once.
 */
import type { HandshakeRead, HandshakeReader } from '../../ports/handshake-reader.js';
import type { RedisClient } from './client.js';
import { IDENTITY_LOOKUP_FRAGMENT } from './identity-lua.js';
import type { Keys } from './keys.js';
import { CHUNK_IDS, IS_MEMBER, MEMBERSHIP_LUA_FUNCTION } from './membership-lua.js';
import { decodePersonDoc } from './person-document.js';
import { RATE_HIT_FUNCTION } from './rate-lua.js';

export const HANDSHAKE_LUA = `${IDENTITY_LOOKUP_FRAGMENT}${MEMBERSHIP_LUA_FUNCTION}${RATE_HIT_FUNCTION}
local n = tonumber(ARGV[2])
local rate = 0
if ARGV[5] ~= '' then rate = sb_rate_hit(KEYS[4], ARGV[5]) end
local current, bases, dids = {}, {}, { ARGV[3] }
for i = 1, n do current[i] = KEYS[4 + i] end
for cid in string.gmatch(ARGV[7], '[^,]+') do bases[#bases + 1] = ARGV[6] .. cid .. ':v' end
if ARGV[4] ~= '' then dids[2] = ARGV[4] end
local person = pid or ''
if ARGV[8] == 'd' then person = '' end
local hits, versions = sb_cohort_membership(current, bases, person, dids, false)
local bits = {}
for i = 1, n do
  if versions[i] then bits[i] = tostring(hits[i]) else bits[i] = '2' end
end
local responses = {}
for j = 5 + n, #KEYS do
  responses[#responses + 1] = redis.call('GET', KEYS[j]) or '0'
end
return { pid or false, doc, ready, used_anon, table.concat(bits), responses, rate }
`;

type Raw = [string | null, string | null, number, number, string, string[], number];
type ShardRaw = [number[], Array<string | null>];

/** Distinct ids whose person this process remembers (sharded membership only), oldest dropped first. */
const GUESSES_MAX = 50_000;

const NONE: readonly number[] = Object.freeze([]);

/** The handshake read did not answer in time. */
export class RedisTimeout extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
  }
}

/** Rejects with RedisTimeout when `p` has not settled `ms` after the call, checked after pending I/O. */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new RedisTimeout(ms));
      });
    }, ms);
    p.then(
      (v) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(v);
      },
      (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export function createHandshakeReader(deps: { redis: RedisClient; keys: Keys; timeoutMs?: number }): HandshakeReader {
  const { redis, keys } = deps;
  const timeoutMs = deps.timeoutMs ?? 50;
  redis.defineCommand('sbHandshake', { lua: HANDSHAKE_LUA });
  const call = (redis as unknown as { sbHandshake(n: number, ...args: string[]): Promise<Raw> }).sbHandshake.bind(redis);
  const sharded = keys.shards > 1;
  if (sharded) redis.defineCommand('sbShardMembers', { lua: IS_MEMBER.lua });
  const callShard = sharded ? (redis as unknown as { sbShardMembers(n: number, ...args: string[]): Promise<ShardRaw> }).sbShardMembers.bind(redis) : null;
  const guesses = new Map<string, number>();
  const shardArgs = new WeakMap<readonly number[], Map<number, string[]>>();
  /** The person's chunks in their shard, for every cohort: one script in the shard's slot. */
  function readShard(projectId: number, cohortIds: readonly number[], personId: number): Promise<ShardRaw> {
    const shard = keys.shardOfChunk(Math.floor(personId / CHUNK_IDS));
    let perShard = shardArgs.get(cohortIds);
    if (!perShard) shardArgs.set(cohortIds, (perShard = new Map()));
    let a = perShard.get(shard);
    if (!a) {
      a = [...cohortIds.map((c) => keys.shardCurrent(projectId, c, shard)), ...cohortIds.map((c) => keys.shardMembersBase(projectId, c, shard))];
      perShard.set(shard, a);
    }
    return callShard!(cohortIds.length, ...a, String(personId), 'chunks');
  }
  const remember = (distinctId: string, personId: number | null) => {
    if (personId === null) {
      guesses.delete(distinctId);
      return;
    }
    if (guesses.get(distinctId) === personId) return;
    guesses.delete(distinctId);
    if (guesses.size >= GUESSES_MAX) guesses.delete(guesses.keys().next().value as string);
    guesses.set(distinctId, personId);
  };

  // The per-project part of the arguments is the same for every handshake of one snapshot.
  const fixed = new WeakMap<readonly number[], { pointers: string[]; cohortPrefix: string; cids: string; personPrefix: string; ready: string }>();
  function fixedArgs(projectId: number, cohortIds: readonly number[], surveyKeys: readonly string[]) {
    let f = fixed.get(cohortIds);
    if (!f) {
      const pointers: string[] = [];
      for (const id of cohortIds) pointers.push(keys.cohortCurrent(projectId, id));
      for (const s of surveyKeys) pointers.push(keys.surveyResponses(projectId, s));
      f = {
        pointers,
        cohortPrefix: keys.cohortMembersBase(projectId, 0).slice(0, -'0:v'.length),
        cids: cohortIds.join(','),
        personPrefix: keys.person(projectId, 0).slice(0, -1),
        ready: keys.identityReady(projectId),
      };
      fixed.set(cohortIds, f);
    }
    return f;
  }

  return {
    async read(projectId, distinctId, anonId, cohortIds, surveyKeys, countRate = false): Promise<HandshakeRead> {
      const didKey = keys.distinctId(projectId, distinctId);
      const f = fixedArgs(projectId, cohortIds, surveyKeys);
      const anonKey = anonId && anonId !== distinctId ? keys.distinctId(projectId, anonId) : didKey;
      if (redis.status !== 'ready') throw new Error(`Redis connection is ${redis.status}`);
      const rateKey = keys.rateCounter('decide', projectId);
      const home = () =>
        call(f.pointers.length + 4, f.ready, didKey, anonKey, rateKey, ...f.pointers, f.personPrefix, String(cohortIds.length), distinctId, anonId ?? '', countRate ? '1000' : '', f.cohortPrefix, f.cids, sharded ? 'd' : 'all');
      let raw: Raw;
      let inShard: ShardRaw | null = null;
      if (!sharded || cohortIds.length === 0) raw = await withDeadline(home(), timeoutMs);
      else {
        [raw, inShard] = await withDeadline(
          (async (): Promise<[Raw, ShardRaw | null]> => {
            const guess = guesses.get(distinctId);
            const early = guess === undefined ? null : readShard(projectId, cohortIds, guess);
            // An early read that turns out unused must not be an unhandled rejection.
            early?.catch(() => {});
            const r = await home();
            const pid = r[0] === null ? null : Number(r[0]);
            remember(distinctId, pid);
            if (pid === null) return [r, null];
            return [r, pid === guess && early ? await early : await readShard(projectId, cohortIds, pid)];
          })(),
          timeoutMs,
        );
      }
      const [pid, doc, ready, usedAnon, bits, responses, rate] = raw;
      const members = new Array<boolean>(cohortIds.length);
      let missing: number[] | null = null;
      for (let i = 0; i < cohortIds.length; i++) {
        let c = bits.charCodeAt(i);
        // Sharded: the home slot answered for `:d`, the shard for the chunk; a shard without the version lost it.
        if (inShard && c !== 50) c = inShard[1][i] == null ? 50 : c === 49 || inShard[0][i] === 1 ? 49 : 48;
        members[i] = c === 49;
        if (c === 50) (missing ??= []).push(i);
      }
      return {
        personId: pid === null ? null : Number(pid),
        person: doc === null ? null : decodePersonDoc(doc),
        identityReady: ready === 1,
        usedAnon: usedAnon === 1,
        members,
        missing: missing ?? NONE,
        responses: responses.map(Number),
        rateCount: Number(rate),
      };
    },
  };
}
