/**
 * Rate limits in process memory (REDIS_URL=memory:): 1 s windows, each starting at its
 * first request, as adapters/redis/rate-limiter.ts. With one process there is nothing to
 * share, so the count is this process's; it never fails (no fail-open case).
 */
import type { RateLimiter } from '../../ports/rate-limiter.js';
import { rateHit, rateKey, type MemoryState } from './state.js';

export function createMemoryRateLimiter(state: MemoryState): RateLimiter {
  return {
    async hit(scope, subject) {
      return rateHit(state, rateKey(scope, subject));
    },
  };
}
