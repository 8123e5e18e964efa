import { createHash } from 'node:crypto';
import type { ExposureMarks } from '../../ports/exposure-marks.js';
import type { RedisClient } from './client.js';
import type { Keys } from './keys.js';

/**
 * Exposure marks as `SET … NX EX 2 days` keys, one pipeline per batch. The person key (a
 * distinct_id) appears only hashed (SHA-256), so an erased person leaves no id in Redis.
 */
export function createExposureMarks(deps: { redis: RedisClient; keys: Keys }): ExposureMarks {
  return {
    async markFirst(marks) {
      const pipeline = deps.redis.pipeline();
      for (const m of marks) pipeline.set(deps.keys.exposure(m.projectId, m.day, createHash('sha256').update(m.personKey).digest('base64url'), m.flag, m.variant), '1', 'EX', 2 * 86_400, 'NX');
      const results = (await pipeline.exec()) ?? [];
      return marks.map((_, i) => results[i]?.[1] === 'OK');
    },
  };
}
