/**
 * The two adapter families of the Redis-backed ports, built the same way for every contract
 * suite (docs/embedded.md): the Redis adapters over the test Redis (a key prefix of their
 * own, removed by cleanup) and the in-process adapters (src/adapters/memory/). A suite runs
 * its cases once per family, so the two cannot drift.
 */
import { randomBytes } from 'node:crypto';
import { createMemoryAdapters } from '../../src/adapters/memory/index.js';
import { createRedis, serversOf, waitForRedis } from '../../src/adapters/redis/client.js';
import { createDefinitionsNotifier } from '../../src/adapters/redis/definitions-notifier.js';
import { createExposureMarks } from '../../src/adapters/redis/exposure-marks.js';
import { createHandshakeReader } from '../../src/adapters/redis/handshake-reader.js';
import { createIdentityCache } from '../../src/adapters/redis/identity-cache.js';
import { createKeys } from '../../src/adapters/redis/keys.js';
import { createMembershipStore } from '../../src/adapters/redis/membership-store.js';
import { createRateLimiter } from '../../src/adapters/redis/rate-limiter.js';
import type { DefinitionsNotifier } from '../../src/ports/definitions-notifier.js';
import type { ExposureMarks } from '../../src/ports/exposure-marks.js';
import type { HandshakeReader } from '../../src/ports/handshake-reader.js';
import type { IdentityCache } from '../../src/ports/identity-cache.js';
import type { MembershipStore } from '../../src/ports/membership-store.js';
import type { RateLimiter } from '../../src/ports/rate-limiter.js';
import { testRedisUrl } from '../helpers/databases.js';

export interface Adapters {
  membership: MembershipStore;
  identity: IdentityCache;
  reader: HandshakeReader;
  limiter: RateLimiter;
  marks: ExposureMarks;
  notifier: DefinitionsNotifier;
  cleanup(): Promise<void>;
}

export interface Family {
  name: 'redis' | 'redis, membership in 4 shards' | 'memory';
  make(): Promise<Adapters>;
}

const redisFamily = (shards: number): Family => ({
  name: shards === 1 ? 'redis' : 'redis, membership in 4 shards',
  async make() {
    const url = testRedisUrl();
    const redis = createRedis({ url, commandTimeoutMs: 5_000 });
    await waitForRedis(redis, 5_000);
    const keys = createKeys(`c${randomBytes(5).toString('hex')}:`, shards);
    return {
      membership: createMembershipStore({ redis, bulk: redis, keys }),
      identity: createIdentityCache({ redis, bulk: redis, keys }),
      reader: createHandshakeReader({ redis, keys, timeoutMs: 5_000 }),
      limiter: createRateLimiter({ redis, keys }),
      marks: createExposureMarks({ redis, keys }),
      notifier: createDefinitionsNotifier({ publisher: redis, url, keys }),
      async cleanup() {
        for (const server of serversOf(redis)) {
          let cursor = '0';
          do {
            const [next, found] = await server.scan(cursor, 'MATCH', keys.allPattern(), 'COUNT', 1000);
            cursor = next;
            if (found.length) await server.del(...found);
          } while (cursor !== '0');
        }
        redis.disconnect();
      },
    };
  },
});

const memoryFamily: Family = {
  name: 'memory',
  async make() {
    const m = createMemoryAdapters();
    return {
      membership: m.membership,
      identity: m.identityCache,
      reader: m.handshakeReader,
      limiter: m.rateLimiter,
      marks: m.exposureMarks,
      notifier: m.notifier,
      cleanup: async () => {},
    };
  },
};

export const FAMILIES: readonly Family[] = [redisFamily(1), redisFamily(4), memoryFamily];
