import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { composeAll, type Composition } from '../../src/composition.js';
import { createTestDatabase, testRedisUrl } from './databases.js';
import path from 'node:path';
import { pino } from 'pino';
import { createLogger } from '../../src/logging.js';
import { serversOf } from '../../src/adapters/redis/client.js';

export interface TestContext extends Composition {
  /** supertest agent bound to the app */
  http: ReturnType<typeof supertest>;
  /** an admin key for every project */
  adminKey: string;
  /** Authorization header value for the admin key */
  admin: { Authorization: string };
  /** creates a project through the service; returns id, token and a bearer header for it */
  newProject(name?: string, tier?: 'hobby' | 'pro' | 'growth' | 'enterprise'): Promise<{ id: number; token: string; bearer: { Authorization: string } }>;
  /** stop background work, close connections, drop the database and this file's Redis keys */
  cleanup(): Promise<void>;
}

/**
 * One isolated world per test file: its own database (copied from the migrated template)
 * and its own Redis key prefix, so files run in parallel against the real servers.
 */
export async function createTestContext(env: Record<string, string> = {}): Promise<TestContext> {
  const db = await createTestDatabase(inject('templateDb'));
  const prefix = `t${randomBytes(5).toString('hex')}:`;
  const config: Config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    RUN_WORKER: 'false',
    PG_POOL_MAX: '5',
    // Test files share 2 cores: a 50 ms Redis timeout would turn load into degraded answers.
    // The degraded-mode test sets its own short timeout.
    REDIS_TIMEOUT_MS: '2000',
    // The cluster suite reruns the handshake tests with sharded membership (test/cluster).
    ...(process.env.TEST_REDIS_SHARDS ? { REDIS_MEMBERSHIP_SHARDS: process.env.TEST_REDIS_SHARDS } : {}),
    // Tests drive the admin API in tight loops; the admin limit has its own test.
    ADMIN_RATE_LIMIT_PER_S: '100000',
    ...env,
  });
  // Every context logs at debug through the real logger; the global teardown scans the files.
  const logFile = path.join(inject('logDir'), `${process.pid}-${prefix.slice(0, -1)}.log`);
  const destination = pino.destination({ dest: logFile, sync: false, mkdir: true });
  const c = composeAll(config, { logger: createLogger(env.LOG_LEVEL === 'silent' ? 'silent' : 'debug', destination) });
  await c.start();
  const adminKey = `sba_test_${randomBytes(16).toString('hex')}`;
  await c.projects.ensureInitKey(adminKey);
  const admin = { Authorization: `Bearer ${adminKey}` };

  return Object.assign(c, {
    http: supertest(c.app),
    adminKey,
    admin,
    async newProject(name = 'test', tier: 'hobby' | 'pro' | 'growth' | 'enterprise' = 'pro') {
      const p = await c.projects.create({ keyId: 0, actor: 'test', projectIds: null }, { name, tier });
      return { id: p.id, token: p.token, bearer: { Authorization: `Bearer ${p.token}` } };
    },
    async cleanup() {
      try {
        // Every server (each master of a cluster) holds some of this file's keys; memory mode has none.
        for (const server of c.memory ? [] : serversOf(c.redis)) {
          let cursor = '0';
          do {
            const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
            cursor = next;
            for (const k of keys) await server.del(k);
          } while (cursor !== '0');
        }
      } catch {
        // Redis may be the thing a test stopped.
      }
      await c.close();
      await db.drop();
      try {
        destination.flushSync();
      } catch {
        // not open yet: nothing was written
      }
      destination.end();
    },
  });
}
