import type { CohortErrorCode } from '../domain/cohort.js';

/** What one call did. `asOf` is unix ms: the instant the membership was computed for. */
export type RefreshOutcome =
  | { status: 'ok'; version: number; memberCount: number; durationMs: number; asOf: number }
  | { status: 'failed'; code: CohortErrorCode; message: string }
  | { status: 'busy' }
  | { status: 'skipped'; reason: string };

export interface RefreshOptions {
  /** who holds the lease, e.g. `worker:<host>:<pid>` or `api:<pid>` */
  worker: string;
  /** lease length, ms (default 10 min; the refresher renews it while the query runs) */
  leaseMs?: number;
  /** unix ms the definition is evaluated at (relative windows); default the clock */
  now?: number;
  /**
   * The cohort's membership was lost (Redis restarted empty): recompute it even when paused
   * (a paused dynamic cohort is then frozen again at the recovery's result; docs/cohorts.md).
   */
  recover?: boolean;
}

export type RefreshCohort = (projectId: number, cohortId: number, opts: RefreshOptions) => Promise<RefreshOutcome>;
