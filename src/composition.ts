import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { createPool, type Pool } from './adapters/postgres/pool.js';
import { createRedis, waitForRedis, type RedisClient } from './adapters/redis/client.js';
import { createKeys, type Keys } from './adapters/redis/keys.js';
import { createProjectStore } from './adapters/postgres/project-store.js';
import { createAdminKeyStore } from './adapters/postgres/admin-key-store.js';
import { createAuditStore } from './adapters/postgres/audit-store.js';
import { createMetrics } from './metrics.js';
import { createProjectsService } from './services/projects.js';
import { createProjectDirectory } from './services/project-directory.js';
import { createAuth } from './http/auth.js';
import { createApp, type RouteModule } from './http/app.js';
import { healthRoutes, type Readiness } from './http/routes/health.js';
import { projectRoutes } from './http/routes/projects.js';
import { definitionRoutes } from './http/routes/definitions.js';
import { createDefinitionStore } from './adapters/postgres/definition-store.js';
import { createDefinitionsService } from './services/definitions.js';
import { fanOut, type FeedListener } from './ports.js';
import { createSnapshotSource } from './adapters/postgres/snapshot-source.js';
import { createSnapshots } from './services/snapshots.js';
import { createHandshakeReader } from './adapters/redis/handshake-reader.js';
import { createDecideService } from './services/decide.js';
import { tokenRateLimit } from './http/rate-limit.js';
import { decideRoutes } from './http/routes/decide.js';
import { ofrepRoutes } from './http/routes/ofrep.js';

export interface ComposeOptions {
  logger?: Logger;
  /** collect process metrics (off in tests: they register global timers) */
  defaultMetrics?: boolean;
}

/**
 * The composition root: builds pools, clients, stores and services from config and wires
 * them into the express app. The only place that creates connections.
 */
export function compose(config: Config, opts: ComposeOptions = {}) {
  const logger = opts.logger ?? pino({ level: config.LOG_LEVEL });
  const pool: Pool = createPool(config.DATABASE_URL, config.PG_POOL_MAX);
  const redis: RedisClient = createRedis({ url: config.REDIS_URL, commandTimeoutMs: config.REDIS_TIMEOUT_MS });
  const keys: Keys = createKeys(config.REDIS_PREFIX);
  const metrics = createMetrics({ defaults: opts.defaultMetrics });

  const stores = {
    projects: createProjectStore(pool),
    adminKeys: createAdminKeyStore(pool),
    audit: createAuditStore(pool),
  };
  const projects = createProjectsService(stores);
  // Feature modules push their listeners here; the feeds notify them after each commit.
  const feedListeners: FeedListener[] = [];
  const feedEvents = fanOut(feedListeners, (err) => logger.warn({ err }, 'feed listener failed'));
  const directory = createProjectDirectory({ store: stores.projects });
  const auth = createAuth({ directory, projects });

  async function readiness(): Promise<Readiness> {
    const timeout = <T>(p: Promise<T>, ms: number) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);
    const [pg, rd] = await Promise.allSettled([timeout(pool.query('SELECT 1'), 1_000), timeout(redis.ping(), 1_000)]);
    const postgres = pg.status === 'fulfilled' ? 'ok' : 'down';
    const redisState = rd.status === 'fulfilled' ? 'ok' : 'down';
    return { ok: postgres === 'ok' && redisState === 'ok', postgres, redis: redisState, degraded: redisState === 'down' };
  }

  const definitionStore = createDefinitionStore(pool);
  /** Announces a project's changed definitions to every API process (they also poll). */
  const notifyDefinitions = async (projectId: number) => {
    await redis.publish(keys.definitionsChannel(), String(projectId));
  };
  const definitions = createDefinitionsService({ pool, definitions: definitionStore, audit: stores.audit, notify: notifyDefinitions });

  // Timers and subscriptions, started by start() in order and stopped in reverse.
  const background: Array<{ start?(): Promise<void> | void; stop(): Promise<void> | void }> = [];

  // The decision path: in-memory snapshots (pub/sub + version poll), one Redis call, pure core.
  const snapshots = createSnapshots({
    source: createSnapshotSource(pool),
    logger,
    pollMs: config.DEFINITIONS_POLL_MS,
    async subscribe(onProject) {
      const sub = createRedis({ url: config.REDIS_URL });
      await waitForRedis(sub, 3_000);
      await sub.subscribe(keys.definitionsChannel());
      sub.on('message', (_channel: string, message: string) => {
        const id = Number(message);
        if (Number.isSafeInteger(id)) onProject(id);
      });
      return async () => sub.disconnect();
    },
  });
  background.push(snapshots);
  const decide = createDecideService({ snapshots, reader: createHandshakeReader({ redis, keys }), metrics, logger });
  const publicRateLimit = tokenRateLimit(config.RATE_LIMIT_PER_S);

  const routes: RouteModule[] = [healthRoutes({ readiness, metrics }), projectRoutes({ projects })];
  routes.push(definitionRoutes({ definitions, audit: stores.audit }));
  routes.push(decideRoutes({ decide, rateLimit: publicRateLimit }));
  routes.push(ofrepRoutes({ decide, directory, rateLimit: publicRateLimit }));

  let appInstance: ReturnType<typeof createApp> | undefined;
  return {
    config,
    logger,
    pool,
    redis,
    keys,
    metrics,
    stores,
    projects,
    directory,
    definitionStore,
    definitions,
    notifyDefinitions,
    snapshots,
    decide,
    publicRateLimit,
    feedListeners,
    feedEvents,
    routes,
    /** the express app; built lazily so feature modules can add routes before first use */
    get app() {
      return (appInstance ??= createApp({ logger, metrics, auth, routes }));
    },
    readiness,
    /** Starts timers and subscriptions (definition refresh, in-process worker). */
    async start(): Promise<void> {
      // Decisions work without Redis (degraded mode), so a slow Redis only gets a warning.
      await waitForRedis(redis, 3_000).catch((err) => logger.warn({ err: err.message }, 'Redis not ready yet'));
      for (const b of background) await b.start?.();
    },
    /** Stops background work, then closes Redis and PostgreSQL. */
    async close(): Promise<void> {
      for (const b of background.reverse()) await b.stop();
      redis.disconnect();
      await pool.end();
    },
  };
}

export type Composition = ReturnType<typeof compose>;
