/**
 * The refresher as a whole (docs/refresher.md): the claim/compute/reschedule loop over row
 * leases (refresher.ts) plus housekeeping after each tick: membership-loss recovery, archived
 * cohorts' cleanup, the per-tier members gauge and event partition maintenance. Its dependencies are ports, so `npm run worker` builds nothing else.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { ArchiveCleanupStore } from '../ports/archive-cleanup-store.js';
import type { CohortRunStore } from '../ports/cohort-run-store.js';
import type { CohortStore } from '../ports/cohort-store.js';
import type { MembershipStore } from '../ports/membership-store.js';
import type { RefreshCohort } from '../ports/refresh-cohort.js';
import type { RefreshLeaseStore } from '../ports/refresh-lease-store.js';
import type { EventPartitions } from '../ports/event-partitions.js';
import { createArchiveCleanup } from './archive-cleanup.js';
import { createEventMaintenance } from './event-maintenance.js';
import { createHistoryMaintenance } from './history-maintenance.js';
import type { MembershipHistoryStore } from '../ports/membership-history.js';
import { createMembershipRecovery } from './membership-recovery.js';
import { createRefresher, defaultWorkerId } from './refresher.js';

export interface CohortRefresherDeps {
  stores: {
    leases: RefreshLeaseStore;
    runs: CohortRunStore;
    cohorts: Pick<CohortStore, 'membersPerTier'>;
    archiveCleanup: ArchiveCleanupStore;
    membership: Pick<MembershipStore, 'dropAll' | 'liveVersions'>;
    eventPartitions: EventPartitions;
    /** history retention runs only with it */
    membershipHistory?: Pick<MembershipHistoryStore, 'prune'>;
  };
  refreshCohort: RefreshCohort;
  logger: Logger;
  metrics: Metrics;
  /** unix ms clock (tests inject one) */
  now?: () => number;
  workerId?: string;
  tickMs?: number;
  leaseMs?: number;
  batchSize?: number;
  concurrency?: number;
  /** ms an archived cohort keeps its materialization (default 1 h) */
  archiveGraceMs?: number;
  /** ms between refreshes of the per-tier members gauge (default 15 s) */
  gaugeEveryMs?: number;
  /** ms between membership-loss checks (default 2 s) */
  recoveryEveryMs?: number;
  /** ms between event partition maintenance passes (default 1 h) */
  eventMaintenanceEveryMs?: number;
  /** days of history kept (default 90; docs/history.md) */
  historyRetentionDays?: number;
}

export function createCohortRefresher(deps: CohortRefresherDeps) {
  const { stores } = deps;
  const workerId = deps.workerId ?? defaultWorkerId();
  const cleanup = createArchiveCleanup({ store: stores.archiveCleanup, membership: stores.membership, logger: deps.logger, graceMs: deps.archiveGraceMs, workerId });
  const recovery = createMembershipRecovery({ runs: stores.runs, membership: stores.membership, refreshCohort: deps.refreshCohort, logger: deps.logger, metrics: deps.metrics, workerId, everyMs: deps.recoveryEveryMs });
  const events = createEventMaintenance({ partitions: stores.eventPartitions, logger: deps.logger, everyMs: deps.eventMaintenanceEveryMs });
  const history = stores.membershipHistory && createHistoryMaintenance({ store: stores.membershipHistory, logger: deps.logger, retentionDays: deps.historyRetentionDays, everyMs: deps.eventMaintenanceEveryMs });
  const gaugeEvery = deps.gaugeEveryMs ?? 15_000;
  let gaugeAt = -Infinity;
  const gauge = async (nowMs: number) => {
    if (nowMs - gaugeAt < gaugeEvery) return;
    gaugeAt = nowMs;
    for (const { tier, members } of await stores.cohorts.membersPerTier()) deps.metrics.cohortMembers.set({ tier }, Number(members));
  };
  const refresher = createRefresher({
    leases: stores.leases,
    runs: stores.runs,
    refreshCohort: deps.refreshCohort,
    logger: deps.logger,
    metrics: deps.metrics,
    now: deps.now,
    workerId,
    tickMs: deps.tickMs,
    leaseMs: deps.leaseMs,
    batchSize: deps.batchSize,
    concurrency: deps.concurrency,
    housekeeping: [recovery.maybeRun, cleanup.maybeRun, gauge, events.maybeRun, ...(history ? [history.maybeRun] : [])],
  });
  return Object.assign(refresher, { cleanup, recovery, events, history });
}

export type CohortRefresher = ReturnType<typeof createCohortRefresher>;
