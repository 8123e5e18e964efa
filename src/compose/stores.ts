/** Every adapter, behind the port it implements, created on first use over lazily opened connections. */
import { createAdminKeyStore } from '../adapters/postgres/admin-key-store.js';
import { createEventPartitions } from '../adapters/postgres/event-partitions.js';
import { createArchiveCleanupStore } from '../adapters/postgres/archive-cleanup-store.js';
import { createAuditStore } from '../adapters/postgres/audit-store.js';
import { createMembershipHistoryStore } from '../adapters/postgres/membership-history-store.js';
import { createHistoryReader } from '../adapters/postgres/history-reads.js';
import { createCohortQueryRunner, createCohortQueryStream } from '../adapters/postgres/cohort-query-runner.js';
import { createCohortRunStore } from '../adapters/postgres/cohort-run-store.js';
import { createCohortStore } from '../adapters/postgres/cohort-store.js';
import { createDefinitionStore } from '../adapters/postgres/definition-store.js';
import { createEventStore } from '../adapters/postgres/event-store.js';
import { createPersonStore } from '../adapters/postgres/person-store.js';
import type { Pool } from '../adapters/postgres/pool.js';
import { createProjectStore } from '../adapters/postgres/project-store.js';
import { createRefreshLeaseStore } from '../adapters/postgres/refresh-lease-store.js';
import { createSnapshotSource } from '../adapters/postgres/snapshot-source.js';
import { createStaticMemberStore } from '../adapters/postgres/static-member-store.js';
import type { RedisClient } from '../adapters/redis/client.js';
import { createExposureMarks } from '../adapters/redis/exposure-marks.js';
import { createHandshakeReader } from '../adapters/redis/handshake-reader.js';
import { createIdentityCache } from '../adapters/redis/identity-cache.js';
import type { Keys } from '../adapters/redis/keys.js';
import { createMembershipStore } from '../adapters/redis/membership-store.js';
import { createRateLimiter } from '../adapters/redis/rate-limiter.js';
import { createWebhookStore } from '../adapters/postgres/webhook-store.js';
import { withOutbox } from '../services/webhooks.js';
import type { MemoryAdapters } from '../adapters/memory/index.js';
import { once } from './once.js';

export interface StoreConnections {
  pool: () => Pool;
  redis: () => RedisClient;
  redisBulk: () => RedisClient;
  redisCohorts: () => RedisClient;
  keys: Keys;
  /** ms the handshake waits for Redis before answering in degraded mode */
  redisTimeoutMs: number;
  /** memory mode (REDIS_URL=memory:): the in-process adapters replace every Redis-backed one */
  memory?: () => MemoryAdapters;
}

export function createStores(c: StoreConnections) {
  const make = {
    projects: once(() => createProjectStore(c.pool())),
    adminKeys: once(() => createAdminKeyStore(c.pool())),
    webhooks: once(() => createWebhookStore(c.pool())),
    // Every audited change also writes its webhook event, in the same transaction (the outbox).
    audit: once(() => withOutbox(createAuditStore(c.pool()), createWebhookStore(c.pool()))),
    definitions: once(() => createDefinitionStore(c.pool())),
    events: once(() => createEventStore()),
    persons: once(() => createPersonStore()),
    cohorts: once(() => createCohortStore(c.pool())),
    runs: once(() => createCohortRunStore(c.pool())),
    leases: once(() => createRefreshLeaseStore(c.pool())),
    staticMembers: once(() => createStaticMemberStore(c.pool())),
    membershipHistory: once(() => createMembershipHistoryStore(c.pool())),
    historyReader: once(() => createHistoryReader(c.pool())),
    archiveCleanup: once(() => createArchiveCleanupStore(c.pool())),
    eventPartitions: once(() => createEventPartitions(c.pool())),
    runQuery: once(() => createCohortQueryRunner(c.pool())),
    streamQuery: once(() => createCohortQueryStream(c.pool())),
    snapshotSource: once(() => createSnapshotSource(c.pool())),
    // Materialization writes big pipelines; membership reads here serve admin views and
    // listeners, not handshakes: one connection without the decision path's timeout.
    membership: once(() => (c.memory ? c.memory().membership : createMembershipStore({ redis: c.redisCohorts(), bulk: c.redisCohorts(), keys: c.keys }))),
    identityCache: once(() => (c.memory ? c.memory().identityCache : createIdentityCache({ redis: c.redis(), bulk: c.redisBulk(), keys: c.keys }))),
    handshakeReader: once(() => (c.memory ? c.memory().handshakeReader : createHandshakeReader({ redis: c.redis(), keys: c.keys, timeoutMs: c.redisTimeoutMs }))),
    exposureMarks: once(() => (c.memory ? c.memory().exposureMarks : createExposureMarks({ redis: c.redisBulk(), keys: c.keys }))),
    rateLimiter: once(() => (c.memory ? c.memory().rateLimiter : createRateLimiter({ redis: c.redis(), keys: c.keys }))),
  };
  type Make = typeof make;
  const stores = {} as { readonly [K in keyof Make]: ReturnType<Make[K]> };
  for (const k of Object.keys(make) as Array<keyof Make>) Object.defineProperty(stores, k, { get: make[k], enumerable: true });
  return stores;
}

export type Stores = ReturnType<typeof createStores>;
