/**
 * Read-your-writes (issue 19, docs/read-your-writes.md): the project write sequences (Redis,
 * or this process's memory with REDIS_URL=memory:), the waiting service, and what the write
 * routes and the decision edges take from it. One set per infra, built on first use.
 */
import { Counter } from 'prom-client';
import { createMemoryConsistencyStore } from '../adapters/memory/consistency-store.js';
import { createRedisConsistencyStore } from '../adapters/redis/consistency-store.js';
import type { ConsistencyReads } from '../http/edge/consistency.js';
import { createConsistency, type Consistency } from '../services/consistency.js';
import type { CohortFeature } from './cohorts.js';
import type { Infra } from './infra.js';

const built = new WeakMap<Infra, { consistency: Consistency; reads: ConsistencyReads }>();

/** The consistency service of this process, its event-driven updates awaited through `cohorts`. */
export function consistencyOf(infra: Infra, cohorts: CohortFeature) {
  let c = built.get(infra);
  if (c) return c;
  const { config, logger } = infra;
  const counter = new Counter({
    name: 'switchboard_consistency_total',
    help: 'Read-your-writes: tokens issued, slots held back (an event-driven update failed), released (writer gone) and token-carrying decisions by outcome (fresh, behind)',
    labelNames: ['what'] as const,
    registers: [infra.metrics.registry],
  });
  const store = infra.memory
    ? createMemoryConsistencyStore({ abandonMs: config.CONSISTENCY_ABANDON_MS })
    : createRedisConsistencyStore({
        redis: infra.redisBulk, url: config.REDIS_URL, keys: infra.keys, abandonMs: config.CONSISTENCY_ABANDON_MS,
        onReleased: (projectId, n) => {
          counter.inc({ what: 'released' }, n);
          logger.warn({ project: projectId, released: n }, 'consistency slots released after CONSISTENCY_ABANDON_MS: their writer stopped or their cohort update failed');
        },
      });
  const consistency = createConsistency({
    store,
    settled: (projectId) => cohorts.eventDriven.settled(projectId),
    logger,
    pollMs: config.CONSISTENCY_POLL_MS,
    count: (what, n = 1) => counter.inc({ what }, n),
  });
  infra.background.push(consistency);
  c = { consistency, reads: { consistency, defaultWaitMs: Math.min(config.CONSISTENCY_WAIT_MS, config.CONSISTENCY_MAX_WAIT_MS), maxWaitMs: config.CONSISTENCY_MAX_WAIT_MS } };
  built.set(infra, c);
  return c;
}
