/**
 * Membership-loss recovery (PRODUCT.md 12): when Redis lost cohort membership (a restart
 * without persistence, a flush), every lost cohort is re-materialized at once, not at its
 * next slot. Each pass (every `everyMs`, default 2 s) compares the cohorts PostgreSQL says are
 * materialized with the live-version pointers in Redis; the lost ones are recomputed right
 * there, static cohorts first (a PostgreSQL read, seconds), then dynamic ones, fastest first
 * (by their last run's duration), so most of a project's rules read again soonest. Paused
 * cohorts are recovered too (docs/cohorts.md). Several refreshers may run it: the row lease
 * keeps one cohort to one of them (the other gets `busy`).
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { CohortRunStore } from '../ports/cohort-run-store.js';
import type { MembershipStore } from '../ports/membership-store.js';
import type { RefreshCohort } from '../ports/refresh-cohort.js';
import { atMostEvery } from './at-most-every.js';

export interface MembershipRecoveryDeps {
  runs: Pick<CohortRunStore, 'materialized'>;
  membership: Pick<MembershipStore, 'liveVersions'>;
  refreshCohort: RefreshCohort;
  logger: Logger;
  metrics?: Metrics;
  workerId: string;
  /** ms between passes (default 2,000) */
  everyMs?: number;
}

export function createMembershipRecovery(deps: MembershipRecoveryDeps) {
  const everyMs = deps.everyMs ?? 2_000;

  /** One pass; returns how many cohorts it re-materialized. */
  async function runNow(): Promise<number> {
    const cohorts = await deps.runs.materialized();
    const byProject = new Map<number, typeof cohorts>();
    for (const c of cohorts) byProject.set(c.projectId, [...(byProject.get(c.projectId) ?? []), c]);
    const lost: typeof cohorts = [];
    for (const [projectId, list] of byProject) {
      const live = await deps.membership.liveVersions(projectId, list.map((c) => c.id));
      list.forEach((c, i) => {
        if (live[i] === null) lost.push(c);
      });
    }
    if (lost.length === 0) return 0;
    lost.sort((a, b) => (a.kind === b.kind ? (a.lastDurationMs ?? Infinity) - (b.lastDurationMs ?? Infinity) : a.kind === 'static' ? -1 : 1));
    deps.logger.warn({ cohorts: lost.length }, 'cohort membership missing in Redis: re-materializing now');
    let recovered = 0;
    for (const c of lost) {
      const outcome = await deps.refreshCohort(c.projectId, c.id, { worker: deps.workerId, recover: true }).catch((err: Error) => ({ status: 'failed' as const, message: err.message }));
      if (outcome.status === 'ok') {
        recovered++;
        deps.metrics?.membershipRecovered.inc({ kind: c.kind });
      } else if (outcome.status === 'failed') {
        deps.logger.warn({ cohort: c.id, project: c.projectId, message: outcome.message }, 'membership recovery failed; the next pass retries');
      }
    }
    return recovered;
  }

  return {
    runNow,
    /** Housekeeping hook for the refresher: a pass at most every `everyMs`. */
    maybeRun: atMostEvery(everyMs, () => runNow()),
  };
}
