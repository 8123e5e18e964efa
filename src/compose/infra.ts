/**
 * Connections and adapters of one process, created on first use: the PostgreSQL pool, the
 * three Redis connections (the decision path's with its short timeout and auto-pipelining;
 * `bulk` for write-throughs and rebuilds; `cohorts` for materialization without a timeout),
 * the key layout, metrics, and every store. The only place that opens connections.
 *
 * Memory mode (REDIS_URL=memory:, docs/embedded.md): no Redis connection at all; the
 * in-process adapters (src/adapters/memory/) serve every Redis-backed port over one shared
 * state, for this one process. The `redis*` getters then throw.
 */
import type { Logger } from 'pino';
import { createLogger } from '../logging.js';
import type { Config } from '../config.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { createTransactions } from '../adapters/postgres/db.js';
import { createPool, type Pool } from '../adapters/postgres/pool.js';
import { createRedis, waitForRedis, type RedisClient } from '../adapters/redis/client.js';
import { createKeys, type Keys } from '../adapters/redis/keys.js';
import { createDefinitionsNotifier } from '../adapters/redis/definitions-notifier.js';
import { Gauge } from 'prom-client';
import { createMemoryAdapters } from '../adapters/memory/index.js';
import type { Readiness, StoreModes } from '../http/routes/health.js';
import { createStores, type Stores } from './stores.js';
import { once, type Background } from './once.js';

export interface InfraOptions {
  logger?: Logger;
  /** collect process metrics (off in tests: they register global timers) */
  defaultMetrics?: boolean;
  /** the embedded PostgreSQL serves DATABASE_URL (for /readyz and /metrics; default `server`) */
  postgresMode?: StoreModes['postgres'];
}

export function createInfra(config: Config, opts: InfraOptions = {}) {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const metrics: Metrics = createMetrics({ defaults: opts.defaultMetrics });
  const keys: Keys = createKeys(config.REDIS_PREFIX, config.REDIS_MEMBERSHIP_SHARDS);
  const opened: { redis: RedisClient[]; pool: Pool | null } = { redis: [], pool: null };
  const background: Background[] = [];
  const modes: StoreModes = { postgres: opts.postgresMode ?? 'server', redis: config.REDIS_URL === 'memory:' ? 'memory' : 'server' };
  const memory = modes.redis === 'memory' ? once(() => createMemoryAdapters()) : undefined;
  new Gauge({
    name: 'switchboard_store_mode',
    help: 'The stores in use: postgres server or embedded, redis server or memory (one process only); always 1',
    labelNames: ['postgres', 'redis'] as const,
    registers: [metrics.registry],
  }).set({ postgres: modes.postgres, redis: modes.redis }, 1);
  const noRedis = () => {
    throw new Error('no Redis connection in memory mode (REDIS_URL=memory:)');
  };

  const pool = once(() => (opened.pool = createPool(config.DATABASE_URL, config.PG_POOL_MAX)));
  const redisClient = (o: { commandTimeoutMs?: number; autoPipelining?: boolean }) => () => {
    if (memory) noRedis();
    const client = createRedis({ url: config.REDIS_URL, ...o });
    opened.redis.push(client);
    return client;
  };
  let decisionRedis: RedisClient | null = null;
  // The handshake reader enforces REDIS_TIMEOUT_MS itself, against the reply's arrival
  // (handshake-reader.ts); the connection's own timeout only bounds a stuck command. No
  // auto-pipelining: ioredis holds a new batch until the previous one's replies are read, so a
  // busy process would delay its own writes and then time them out (issue 12, item 5).
  const redis = once(() => (decisionRedis = redisClient({ commandTimeoutMs: Math.max(1_000, 20 * config.REDIS_TIMEOUT_MS) })()));
  const redisBulk = once(() => {
    const client = redisClient({ commandTimeoutMs: 5_000 })();
    background.push({ start: () => waitForRedis(client, 3_000).catch(() => {}), stop: () => {} });
    return client;
  });
  const redisCohorts = once(redisClient({}));
  const tx = once(() => createTransactions(pool()));
  const notifier = once(() => (memory ? memory().notifier : createDefinitionsNotifier({ publisher: redis(), url: config.REDIS_URL, keys })));
  const stores = once(() => createStores({ pool, redis, redisBulk, redisCohorts, keys, redisTimeoutMs: config.REDIS_TIMEOUT_MS, memory }));

  /** PostgreSQL and Redis reachable, each within 1 s (in memory mode Redis is this process: always ok). */
  async function readiness(): Promise<Readiness> {
    const timeout = <T>(p: Promise<T>, ms: number) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);
    const [pg, rd] = await Promise.allSettled([timeout(pool().query('SELECT 1'), 1_000), memory ? Promise.resolve('PONG') : timeout(redis().ping(), 1_000)]);
    const postgres = pg.status === 'fulfilled' ? 'ok' : 'down';
    const redisState = rd.status === 'fulfilled' ? 'ok' : 'down';
    return { ok: postgres === 'ok' && redisState === 'ok', mode: modes, postgres, redis: redisState, degraded: redisState === 'down' };
  }

  return {
    config,
    logger,
    metrics,
    keys,
    /** which stores this process uses */
    modes,
    /** memory mode: the in-process adapters and their state (tests inspect it); undefined otherwise */
    get memory() {
      return memory?.();
    },
    get pool(): Pool {
      return pool();
    },
    get tx() {
      return tx();
    },
    /** the decision path's connection: short timeout, auto-pipelined */
    get redis(): RedisClient {
      return redis();
    },
    /** write-throughs, rebuilds, exposures: 5 s timeout */
    get redisBulk(): RedisClient {
      return redisBulk();
    },
    /** materialization and admin membership reads: no command timeout */
    get redisCohorts(): RedisClient {
      return redisCohorts();
    },
    get notifier() {
      return notifier();
    },
    get stores(): Stores {
      return stores();
    },
    /** `notifier.notify`, never rejecting (API processes also poll) */
    notifyDefinitions: (projectId: number) => notifier().notify(projectId),
    readiness,
    /** timers and subscriptions started by start() in order, stopped by close() in reverse */
    background,
    async start(): Promise<void> {
      // Decisions work without Redis (degraded mode), so a slow Redis only gets a warning.
      if (decisionRedis) await waitForRedis(decisionRedis, 3_000).catch((err) => logger.warn({ err: err.message }, 'Redis not ready yet'));
      for (const b of [...background]) await b.start?.();
    },
    async close(): Promise<void> {
      for (const b of [...background].reverse()) await b.stop();
      for (const r of opened.redis) r.disconnect();
      if (opened.pool) await opened.pool.end();
    },
  };
}

export type Infra = ReturnType<typeof createInfra>;
