/**
 * The read-your-writes sequence in Redis (ports/consistency-store.ts): per project a hash
 * `{ epoch, seq, applied }`, a ZSET of pending slots (score: issued at, Redis TIME in ms) and a
 * ZSET of slots applied above the watermark. All three share the project's hash tag, so each
 * script is one atomic call on one slot. The Lua mirrors domain/consistency-watermark.ts.
 * Watermark moves are published on one channel for every project: each API process holds one
 * subscription (its own connection: a subscribed connection cannot send commands).
 */
import type { ConsistencyStore } from '../../ports/consistency-store.js';
import type { Watermark } from '../../domain/consistency-token.js';
import { newEpoch } from '../../domain/consistency-token.js';
import { createRedis, waitForRedis, type RedisClient } from './client.js';
import type { Keys } from './keys.js';

// KEYS: hash, pending; ARGV: a new epoch (used when the hash does not exist: first use, or Redis lost it)
const ISSUE_LUA = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0, 'applied', 0)
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local t = redis.call('TIME')
redis.call('ZADD', KEYS[2], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), seq)
return {epoch, seq}
`;

// KEYS: hash, pending, done; ARGV: epoch ('' = current), seq (0 = none), abandonMs, channel, project id.
// Returns false when nothing was issued in this epoch, else {epoch, applied, issued, released}.
const COMPLETE_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'applied')
if not cur[1] then return false end
local issued = tonumber(cur[2])
local applied = tonumber(cur[3])
if ARGV[1] ~= '' and ARGV[1] ~= cur[1] then return {cur[1], applied, issued, 0} end
local seq = tonumber(ARGV[2])
if seq > 0 and redis.call('ZREM', KEYS[2], seq) == 1 and seq > applied then
  redis.call('ZADD', KEYS[3], seq, seq)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local abandon = tonumber(ARGV[3])
local start = applied
local released = 0
while applied < issued do
  local nxt = applied + 1
  if redis.call('ZREM', KEYS[3], nxt) == 1 then
    applied = nxt
  else
    local since = redis.call('ZSCORE', KEYS[2], nxt)
    if since and now - tonumber(since) < abandon then break end
    redis.call('ZREM', KEYS[2], nxt)
    applied = nxt
    released = released + 1
  end
end
if applied > start then
  redis.call('HSET', KEYS[1], 'applied', applied)
  redis.call('PUBLISH', ARGV[4], ARGV[5] .. ':' .. cur[1] .. ':' .. applied .. ':' .. issued)
end
return {cur[1], applied, issued, released}
`;

type Cmd = RedisClient & {
  sbRywIssue(hash: string, pending: string, epoch: string): Promise<[string, number]>;
  sbRywComplete(hash: string, pending: string, done: string, epoch: string, seq: number, abandonMs: number, channel: string, project: string): Promise<[string, number, number, number] | null>;
};

export interface RedisConsistencyStoreDeps {
  /** a command connection (the bulk one: writes and the waiting path are not the handshake's 50 ms budget) */
  redis: RedisClient;
  /** for the subscription's own connection */
  url: string;
  keys: Keys;
  /** ms after which a pending slot is released (its writer is presumed dead) */
  abandonMs: number;
  /** told how many slots a call released (metrics, logs) */
  onReleased?: (projectId: number, n: number) => void;
}

const MESSAGE = /^(\d+):([0-9a-f]{8}):(\d+):(\d+)$/;

export function createRedisConsistencyStore(deps: RedisConsistencyStoreDeps): ConsistencyStore {
  const { keys } = deps;
  const r = deps.redis as Cmd;
  r.defineCommand('sbRywIssue', { numberOfKeys: 2, lua: ISSUE_LUA });
  r.defineCommand('sbRywComplete', { numberOfKeys: 3, lua: COMPLETE_LUA });
  const channel = keys.consistencyChannel();

  return {
    async issue(projectId) {
      const [epoch, seq] = await r.sbRywIssue(keys.consistency(projectId), keys.consistencyPending(projectId), newEpoch());
      return { epoch, seq: Number(seq) };
    },
    async complete(projectId, epoch, seq) {
      const out = await r.sbRywComplete(keys.consistency(projectId), keys.consistencyPending(projectId), keys.consistencyDone(projectId), epoch, seq, deps.abandonMs, channel, String(projectId));
      if (!out) return null;
      if (Number(out[3]) > 0) deps.onReleased?.(projectId, Number(out[3]));
      return { epoch: out[0], applied: Number(out[1]), issued: Number(out[2]) };
    },
    async reached(projectId) {
      const [epoch, seq, applied] = await r.hmget(keys.consistency(projectId), 'epoch', 'seq', 'applied');
      if (!epoch) return null;
      return { epoch, applied: Number(applied), issued: Number(seq) };
    },
    async subscribe(onApplied) {
      const sub = createRedis({ url: deps.url });
      await waitForRedis(sub, 3_000);
      await sub.subscribe(channel);
      sub.on('message', (_channel: string, message: string) => {
        const m = MESSAGE.exec(message);
        if (!m) return;
        const mark: Watermark = { epoch: m[2], applied: Number(m[3]), issued: Number(m[4]) };
        onApplied(Number(m[1]), mark);
      });
      return async () => sub.disconnect();
    },
  };
}
