import type { Logger } from 'pino';
import type { Pool } from '../adapters/postgres/pool.js';
import type { RedisClient } from '../adapters/redis/client.js';
import type { Keys } from '../adapters/redis/keys.js';
import type { Metrics } from '../metrics.js';
import { createArchiveCleanup } from './archive-cleanup.js';
import { createClaimStore } from './claim-store.js';
import { createRefresher, defaultWorkerId, type RefresherOptions } from './runner.js';
import type { RefreshCohortFn } from './refresh-port.js';

export interface CohortWorkerDeps {
  pool: Pool;
  redis: RedisClient;
  keys: Keys;
  logger: Logger;
  metrics: Metrics;
  refreshCohort: RefreshCohortFn;
  /** unix ms clock (tests inject one) */
  now?: () => number;
  workerId?: string;
  tickMs?: number;
  leaseMs?: number;
  batchSize?: number;
  concurrency?: number;
  /** ms an archived cohort keeps its Redis keys (default 1 h) */
  archiveGraceMs?: number;
  /** ms between refreshes of the per-tier members gauge (default 15 s) */
  gaugeEveryMs?: number;
}

/**
 * The whole refresher as the composition root wires it: the claim/compute/reschedule loop,
 * plus housekeeping after each tick (archived cohorts' Redis cleanup, the members gauge).
 */
export function createCohortWorker(deps: CohortWorkerDeps) {
  const workerId = deps.workerId ?? defaultWorkerId();
  const cleanup = createArchiveCleanup({ pool: deps.pool, redis: deps.redis, keys: deps.keys, logger: deps.logger, graceMs: deps.archiveGraceMs, workerId });
  const claims = createClaimStore(deps.pool);
  const gaugeEvery = deps.gaugeEveryMs ?? 15_000;
  let gaugeAt = -Infinity;
  const gauge = async (nowMs: number) => {
    if (nowMs - gaugeAt < gaugeEvery) return;
    gaugeAt = nowMs;
    for (const { tier, members } of await claims.membersPerTier()) deps.metrics.cohortMembers.set({ tier }, Number(members));
  };
  const opts: RefresherOptions = {
    pool: deps.pool,
    refreshCohort: deps.refreshCohort,
    logger: deps.logger,
    metrics: deps.metrics,
    now: deps.now,
    workerId,
    tickMs: deps.tickMs,
    leaseMs: deps.leaseMs,
    batchSize: deps.batchSize,
    concurrency: deps.concurrency,
    housekeeping: [cleanup.maybeRun, gauge],
  };
  return Object.assign(createRefresher(opts), { cleanup });
}

export type CohortWorker = ReturnType<typeof createCohortWorker>;
