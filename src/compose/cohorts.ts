/**
 * The cohort feature (docs/cohorts.md, docs/refresher.md): definitions, static members,
 * materialized membership, one refresh, event-driven recompute and the lifecycle.
 */
import { createRefreshCohort } from '../refresher/refresh-cohort.js';
import { createCohortLifecycle } from '../services/cohort-lifecycle.js';
import { createCohortMembers } from '../services/cohort-members.js';
import { createCohortMembership } from '../services/cohort-membership.js';
import { createCohortsService } from '../services/cohorts.js';
import { createEventDrivenRecompute } from '../services/event-driven-recompute.js';
import { createRecomputePersons } from '../services/recompute-persons.js';
import { createMembershipHistory } from '../services/membership-history.js';
import { createStaticMembersService } from '../services/static-members.js';
import type { Infra } from './infra.js';
import { liveOf } from './live.js';
import { once } from './once.js';

export function composeCohorts(infra: Infra) {
  const { logger } = infra;
  const s = () => infra.stores;
  const notify = infra.notifyDefinitions;

  const refreshCohort = once(() =>
    createRefreshCohort({
      leases: s().leases, runQuery: s().runQuery, streamQuery: s().streamQuery, cohorts: s().cohorts, runs: s().runs, staticMembers: s().staticMembers, membership: s().membership,
      notify, logger: logger.child({ component: 'cohort-refresh' }), query: { timeoutMs: infra.config.COHORT_QUERY_TIMEOUT_MS },
      onSwitched: liveOf(infra).onCohortSwitched(), tx: infra.tx,
      // History diffs the versions before the refresh drops the old one.
      recordHistory: async (e) => {
        const started = performance.now();
        const recorded = await history().onSwitched(e);
        const stats: Record<string, number> = { history_ms: Math.round(performance.now() - started), history_entered: recorded.entered, history_left: recorded.left };
        return stats;
      },
    }),
  );
  const history = once(() => createMembershipHistory({ store: s().membershipHistory, diff: liveOf(infra).cohortDiff(), logger }));
  const recomputePersons = once(() =>
    createRecomputePersons({
      runQuery: s().runQuery, cohorts: s().cohorts, membership: s().membership, logger,
      onChanges: (projectId, cohortId, version, entered, left) => history().onEventChanges(projectId, cohortId, version, entered, left),
    }),
  );
  const service = once(() => createCohortsService({ tx: infra.tx, cohorts: s().cohorts, audit: s().audit, notify }));
  const staticMembers = once(() => createStaticMembersService({ tx: infra.tx, cohorts: s().cohorts, staticMembers: s().staticMembers, audit: s().audit, refreshCohort: refreshCohort() }));
  const membership = once(() => createCohortMembership({ cohorts: s().cohorts, staticMembers: s().staticMembers, membership: s().membership }));
  const members = once(() => createCohortMembers({ membership: s().membership, persons: s().persons, staticMembers: s().staticMembers, db: infra.tx.db }));
  const lifecycle = once(() => createCohortLifecycle({ tx: infra.tx, cohorts: s().cohorts, runs: s().runs, audit: s().audit, notify }));
  // Enterprise tier: persons the feeds changed are re-evaluated within a second.
  const eventDriven = once(() => {
    const r = createEventDrivenRecompute({
      recomputePersons: recomputePersons(),
      tierOf: async (projectId) => (await s().projects.get(projectId))?.tier ?? null,
      logger,
      flushMs: infra.config.EVENT_DRIVEN_FLUSH_MS,
      onPersons: (outcome, n) => infra.metrics.cohortEventRecompute.inc({ outcome }, n),
    });
    infra.background.push(r);
    return r;
  });

  return {
    get service() {
      return service();
    },
    get staticMembers() {
      return staticMembers();
    },
    /** (projectId, cohortId, { worker, leaseMs?, now? }) -> RefreshOutcome */
    get refreshCohort() {
      return refreshCohort();
    },
    /** (projectId, personIds) -> void: event-driven recompute of a few persons */
    get recomputePersons() {
      return recomputePersons();
    },
    /** the person's cohorts (admin read) and the static-follow FeedListener */
    get membership() {
      return membership();
    },
    get lifecycle() {
      return lifecycle();
    },
    /** member pages of a cohort's live version, and the CSV export */
    get members() {
      return members();
    },
    get eventDriven() {
      return eventDriven();
    },
    /** membership history: the refresh's and event-driven recorder, and the alias-merge FeedListener */
    get history() {
      return history();
    },
  };
}

export type CohortFeature = ReturnType<typeof composeCohorts>;
