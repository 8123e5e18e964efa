import type { RateLimiter } from '../../ports/rate-limiter.js';
import type { RedisClient } from './client.js';
import type { Keys } from './keys.js';
import { RATE_HIT_LUA } from './rate-lua.js';

type HitFn = (key: string, ttlMs: string) => Promise<number>;

/**
 * 1 s windows in Redis, each starting at its first request: one `INCR` (and `PEXPIRE 1000` on
 * the window's first hit) per request, in one script call. Any Redis error resolves to null
 * (the caller fails open).
 */
export function createRateLimiter(deps: { redis: RedisClient; keys: Keys }): RateLimiter {
  deps.redis.defineCommand('sbRateHit', { numberOfKeys: 1, lua: RATE_HIT_LUA });
  const hit = (deps.redis as unknown as { sbRateHit: HitFn }).sbRateHit.bind(deps.redis);
  return {
    async hit(scope, subject) {
      if (deps.redis.status !== 'ready') return null;
      try {
        return await hit(deps.keys.rateCounter(scope, subject), '1000');
      } catch {
        return null;
      }
    },
  };
}
