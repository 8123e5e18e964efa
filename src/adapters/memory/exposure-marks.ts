/**
 * Exposure marks in process memory (REDIS_URL=memory:): each mark remembered for two days,
 * as the Redis `SET … NX EX` keys of adapters/redis/exposure-marks.ts; the person key is
 * kept only hashed (SHA-256), as there. Expired marks are pruned as new ones arrive.
 */
import { createHash } from 'node:crypto';
import type { ExposureMarks } from '../../ports/exposure-marks.js';
import type { MemoryState } from './state.js';

const TTL_MS = 2 * 86_400_000;

export function createMemoryExposureMarks(state: MemoryState): ExposureMarks {
  let nextPrune = 0;
  return {
    async markFirst(marks) {
      const now = state.now();
      if (now >= nextPrune) {
        for (const [k, until] of state.exposures) if (until <= now) state.exposures.delete(k);
        nextPrune = now + 60_000;
      }
      return marks.map((m) => {
        const key = `${m.projectId}:${m.day}:${createHash('sha256').update(m.personKey).digest('base64url')}:${m.flag}:${m.variant}`;
        const until = state.exposures.get(key);
        if (until !== undefined && until > now) return false;
        state.exposures.set(key, now + TTL_MS);
        return true;
      });
    },
  };
}
