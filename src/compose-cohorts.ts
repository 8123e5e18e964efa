/**
 * Wiring of the cohort feature (docs/cohorts.md), called by the composition root with the
 * connections it owns. Returns the services other features call, the FeedListener for
 * static membership, and the route module.
 */
import type { Logger } from 'pino';
import type { Pool } from './adapters/postgres/pool.js';
import type { RedisClient } from './adapters/redis/client.js';
import type { Keys } from './adapters/redis/keys.js';
import type { AuditStore } from './adapters/postgres/audit-store.js';
import { createCohortStore } from './adapters/postgres/cohort-store.js';
import { createCohortRunStore } from './adapters/postgres/cohort-run-store.js';
import { createCohortMemberStore } from './adapters/postgres/cohort-member-store.js';
import { createMembershipStore } from './adapters/redis/membership-store.js';
import { createCohortsService } from './services/cohorts.js';
import { createCohortMembersService } from './services/cohort-members.js';
import { createRefreshCohort } from './services/refresh-cohort.js';
import { createRecomputePersons } from './services/recompute-persons.js';
import { createCohortMembership } from './services/cohort-membership.js';
import { cohortRoutes } from './http/routes/cohorts.js';

export interface CohortFeatureDeps {
  pool: Pool;
  /**
   * A connection without the decision path's short timeout: materialization writes big
   * pipelines, and membership reads here serve admin views and listeners, not handshakes
   * (the handshake reads membership in its own script, handshake-reader.ts).
   */
  redis: RedisClient;
  keys: Keys;
  audit: AuditStore;
  notify: (projectId: number) => Promise<void>;
  logger: Logger;
}

export function composeCohorts(deps: CohortFeatureDeps) {
  const { pool, keys, audit, notify, logger } = deps;
  const stores = {
    cohorts: createCohortStore(pool),
    runs: createCohortRunStore(pool),
    members: createCohortMemberStore(pool),
    membership: createMembershipStore({ redis: deps.redis, bulk: deps.redis, keys }),
  };
  const refreshCohort = createRefreshCohort({ pool, ...stores, notify, logger: logger.child({ component: 'cohort-refresh' }) });
  const recomputePersons = createRecomputePersons({ pool, cohorts: stores.cohorts, membership: stores.membership, logger });
  const service = createCohortsService({ pool, cohorts: stores.cohorts, audit, notify });
  const members = createCohortMembersService({ pool, cohorts: stores.cohorts, members: stores.members, audit, refreshCohort });
  const membership = createCohortMembership(stores);

  return {
    stores,
    service,
    members,
    /** (projectId, cohortId, { worker, leaseMs?, now? }) -> RefreshOutcome: the refresher's entry point */
    refreshCohort,
    /** (projectId, personIds) -> void: event-driven recompute of a few persons */
    recomputePersons,
    /** (projectId, personId | null, distinctIds) -> the person's cohorts with freshness */
    cohortsOfPerson: membership.cohortsOfPerson,
    /** static membership that follows identity; pushed onto feedListeners */
    listener: membership.listener,
    routes: cohortRoutes({ cohorts: service, members, refreshCohort }),
  };
}

export type CohortFeature = ReturnType<typeof composeCohorts>;
