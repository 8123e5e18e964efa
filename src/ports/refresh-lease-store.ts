import type { CohortKind, LeasedCohort } from '../domain/cohort.js';
import type { Tier } from '../domain/project.js';

/** A due cohort a refresher claimed for one run. Times are unix ms. */
export interface ClaimedCohort {
  id: number;
  projectId: number;
  key: string;
  kind: CohortKind;
  tier: Tier;
  refreshIntervalS: number | null;
  /** the slot it was due at (null: never scheduled yet, e.g. just created or restored) */
  scheduledAt: number | null;
  /** keys of the cohorts its definition references */
  refs: string[];
  /** owner of a lease that had expired when we claimed it: that worker died mid-run */
  expiredLeaseOwner: string | null;
}

/**
 * Row leases of cohort refreshes, in one place: which refresher may compute which cohort.
 * Lease times use the database clock so every refresher agrees; schedules use the caller's.
 * A run's end (CohortRunStore `succeed` / `fail`) also releases its lease, in the same write
 * that records the outcome.
 */
export interface RefreshLeaseStore {
  /**
   * Claims up to `limit` due cohorts (building/active, due at `nowMs`, lease free or
   * expired; dependencies first) and moves their next run to `holdUntilMs` so no other
   * refresher claims them meanwhile.
   */
  claimDue(nowMs: number, limit: number, holdUntilMs: number): Promise<ClaimedCohort[]>;
  /** takes the cohort's lease for `leaseMs` ms if nobody holds a live one; null when leased (or missing) */
  acquire(projectId: number, cohortId: number, worker: string, leaseMs: number): Promise<LeasedCohort | null>;
  /** extends a lease `worker` still holds to `leaseMs` ms from now; false when it lost it */
  renew(projectId: number, cohortId: number, worker: string, leaseMs: number): Promise<boolean>;
  /** releases the lease if `worker` still holds it */
  release(projectId: number, cohortId: number, worker: string): Promise<void>;
}
