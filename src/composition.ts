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
import { composeCohorts } from './compose-cohorts.js';
import { cohortsSection, decisionsSection } from './http/routes/person-sections.js';
import { createSnapshotSource } from './adapters/postgres/snapshot-source.js';
import { createSnapshots } from './services/snapshots.js';
import { createHandshakeReader } from './adapters/redis/handshake-reader.js';
import { createDecideService } from './services/decide.js';
import { createExposureRecorder } from './services/exposures.js';
import { tokenRateLimit } from './http/rate-limit.js';
import { decideRoutes } from './http/routes/decide.js';
import { ofrepRoutes } from './http/routes/ofrep.js';
import type { RequestListener } from 'node:http';
import { createFastDecide } from './http/fast/decide-fast.js';
import { createRequestListener } from './http/dispatch.js';
import { createCohortLifecycle } from './services/cohort-lifecycle.js';
import { createCohortStore } from './adapters/postgres/cohort-store.js';
import { createCohortRunStore } from './adapters/postgres/cohort-run-store.js';
import { cohortLifecycleRoutes } from './http/routes/cohort-lifecycle.js';
import { createCohortWorker } from './worker/cohort-worker.js';
import { createEventDrivenRecompute } from './services/event-driven-recompute.js';
import { createPersonStore } from './adapters/postgres/person-store.js';
import { createEventStore } from './adapters/postgres/event-store.js';
import { createIdentityCache } from './adapters/redis/identity-cache.js';
import { createIdentityService } from './services/identity.js';
import { createIngestService } from './services/ingest.js';
import { createPeopleService } from './services/people.js';
import { createAliasService } from './services/alias.js';
import { createPersonReadService } from './services/person-read.js';
import { eventRoutes } from './http/routes/events.js';
import { engageRoutes } from './http/routes/engage.js';
import { aliasRoutes } from './http/routes/alias.js';
import { personRoutes, type PersonSection } from './http/routes/persons.js';
import { composeConsole } from './compose-console.js';

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
  const redis: RedisClient = createRedis({ url: config.REDIS_URL, commandTimeoutMs: config.REDIS_TIMEOUT_MS, autoPipelining: true });
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

  // The feeds (PRODUCT.md 4, docs/feeds.md): events, People API, alias, the Redis identity map.
  // Write-throughs and rebuilds get their own connection with a longer timeout than decisions.
  const redisBulk: RedisClient = createRedis({ url: config.REDIS_URL, commandTimeoutMs: 5_000 });
  background.push({ start: () => waitForRedis(redisBulk, 3_000).catch(() => {}), stop: () => redisBulk.disconnect() });
  const personStore = createPersonStore();
  const eventStore = createEventStore();
  const identityCache = createIdentityCache({ redis, bulk: redisBulk, keys });
  const identity = createIdentityService({ pool, persons: personStore, events: eventStore, cache: identityCache, logger });
  background.push({ stop: () => identity.idle() });
  const ingest = createIngestService({ pool, events: eventStore, persons: personStore, identity, listener: feedEvents, count: (outcome, n) => metrics.eventsIngested.inc({ outcome }, n) });
  const people = createPeopleService({ pool, persons: personStore, events: eventStore, audit: stores.audit, identity, listener: feedEvents });
  const aliases = createAliasService({ pool, persons: personStore, identity, listener: feedEvents });
  const personRead = createPersonReadService({ pool, persons: personStore, events: eventStore });
  /** Extra fields of the admin person read (cohorts, decisions): push sections here. */
  const personSections: PersonSection[] = [];

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
  const exposures = createExposureRecorder({ redis: redisBulk, keys, ingest: (projectId, events) => ingest.ingest(projectId, events), logger, sampleRate: config.EXPOSURE_SAMPLE_RATE });
  background.push(exposures);
  const decide = createDecideService({ snapshots, reader: createHandshakeReader({ redis, keys }), identityFallback: { resolve: identity.resolveFromStore }, metrics, logger, exposures });
  const publicRateLimit = tokenRateLimit(config.RATE_LIMIT_PER_S);

  // Cohort lifecycle (pause/resume/archive/restore) and refresh history (docs/refresher.md).
  const cohortLifecycle = createCohortLifecycle({ pool, cohorts: createCohortStore(pool), runs: createCohortRunStore(pool), audit: stores.audit, notify: notifyDefinitions });

  // Cohorts (docs/cohorts.md): definitions, static members, materialization into Redis.
  // Materialization writes big SADD pipelines: its own connection, without the decision-path timeout.
  const redisCohorts: RedisClient = createRedis({ url: config.REDIS_URL });
  const cohorts = composeCohorts({ pool, redis: redisCohorts, keys, audit: stores.audit, notify: notifyDefinitions, logger });
  feedListeners.push(cohorts.listener);

  // The refresher (docs/refresher.md): scheduled refreshes shared through row leases. Built
  // always (the `worker` command starts it), run in this process only when RUN_WORKER.
  const refresher = createCohortWorker({ pool, redis: redisCohorts, keys, logger, metrics, refreshCohort: cohorts.refreshCohort });
  if (config.RUN_WORKER) background.push(refresher);
  // Enterprise tier: persons the feeds changed are re-evaluated in every API process within a second.
  const eventDrivenRecompute = createEventDrivenRecompute({
    recomputePersons: cohorts.recomputePersons,
    tierOf: async (projectId) => (await stores.projects.get(projectId))?.tier ?? null,
    logger,
    onPersons: (outcome, n) => metrics.cohortEventRecompute.inc({ outcome }, n),
  });
  feedListeners.push(eventDrivenRecompute.listener);
  background.push(eventDrivenRecompute);

  const routes: RouteModule[] = [healthRoutes({ readiness, metrics }), projectRoutes({ projects })];
  routes.push(cohorts.routes);
  routes.push(definitionRoutes({ definitions, audit: stores.audit }));
  routes.push(decideRoutes({ decide, rateLimit: publicRateLimit.middleware }));
  routes.push(ofrepRoutes({ decide, directory, rateLimit: publicRateLimit.middleware }));
  routes.push(cohortLifecycleRoutes({ lifecycle: cohortLifecycle }));
  routes.push(eventRoutes({ ingest }), engageRoutes({ people }), aliasRoutes({ alias: aliases }), personRoutes({ persons: personRead, sections: personSections }));
  personSections.push(cohortsSection({ cohortsOfPerson: cohorts.cohortsOfPerson }), decisionsSection({ decide }));
  routes.push(composeConsole({ pool, adminKeys: stores.adminKeys, definitions: definitionStore, cohorts: cohorts.stores }));

  let appInstance: ReturnType<typeof createApp> | undefined;
  let listener: RequestListener | undefined;
  const expressApp = () => (appInstance ??= createApp({ logger, metrics, auth, routes }));
  // The handshake is served on node:http ahead of express (docs/performance.md).
  const fastDecide = createFastDecide({ decide, directory, limits: publicRateLimit, logger, metrics });
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
    exposures,
    publicRateLimit,
    cohortLifecycle,
    refresher,
    eventDrivenRecompute,
    feedListeners,
    feedEvents,
    cohorts,
    personStore,
    eventStore,
    identity,
    ingest,
    people,
    aliases,
    personRead,
    personSections,
    routes,
    /** the express app; built lazily so feature modules can add routes before first use */
    get app(): RequestListener {
      return (listener ??= createRequestListener(expressApp(), [fastDecide]));
    },
    /** the express app alone (every route but the handshake's fast path) */
    get expressApp() {
      return expressApp();
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
      redisCohorts.disconnect();
      await pool.end();
    },
  };
}

export type Composition = ReturnType<typeof compose>;
