import type { LeasedCohort } from '../../src/domain/cohort.js';
import type { Tier } from '../../src/domain/project.js';
import type { ClaimedCohort, RefreshLeaseStore } from '../../src/ports/refresh-lease-store.js';
import { referencedKeys, type FakeCohortStore, type FakeCohortRow } from './fake-cohort-store.js';

/**
 * Row leases on the fake cohort store's rows, as adapters/postgres/refresh-lease-store.ts
 * takes them: `acquire` answers null while someone holds a live lease (or the cohort does
 * not exist); `renew` and `release` act only for the holder; `closeInterrupted` (fake-cohort-run-store.ts) closes a
 * dead worker's open history rows as `interrupted`. Lease times use the cohort store's
 * clock (the "database clock").
 *
 * Simplified: `claimDue` claims due building/active cohorts with a free or expired lease,
 * in next-run order, but does not defer a cohort whose dependency is due (the refresher
 * loop's SQL does; test that against PostgreSQL). `tierOf` names the project tiers it
 * reports (default `pro`). Inspection: `holder(projectId, cohortId)`.
 */
export function createFakeRefreshLeaseStore(cohorts: FakeCohortStore, opts: { tierOf?: (projectId: number) => Tier } = {}) {
  const now = cohorts.now;
  const tierOf = opts.tierOf ?? (() => 'pro');
  const free = (r: FakeCohortRow) => r.leaseExpiresAt === null || r.leaseExpiresAt < now();
  const ms = (d: string | null) => (d === null ? null : Date.parse(d));

  const store: RefreshLeaseStore & { holder(projectId: number, cohortId: number): string | null } = {
    async claimDue(nowMs, limit, holdUntilMs): Promise<ClaimedCohort[]> {
      const picked = cohorts.rows()
        .filter((r) => (r.state === 'building' || r.state === 'active') && (r.nextRunAt === null || ms(r.nextRunAt)! <= nowMs) && free(r))
        .sort((a, b) => (ms(a.nextRunAt) ?? Number.MIN_SAFE_INTEGER) - (ms(b.nextRunAt) ?? Number.MIN_SAFE_INTEGER) || a.id - b.id)
        .slice(0, limit);
      return picked.map((r) => {
        const scheduledAt = ms(r.nextRunAt);
        r.nextRunAt = new Date(holdUntilMs).toISOString();
        return {
          id: r.id, projectId: r.projectId, key: r.key, kind: r.kind, tier: tierOf(r.projectId), refreshIntervalS: r.refreshIntervalS,
          scheduledAt, refs: referencedKeys(r.definition), expiredLeaseOwner: r.leaseOwner,
        };
      });
    },

    async acquire(projectId, cohortId, worker, leaseMs): Promise<LeasedCohort | null> {
      const r = cohorts.row(projectId, cohortId);
      if (!r || !free(r)) return null;
      r.leaseOwner = worker;
      r.leaseExpiresAt = now() + leaseMs;
      return {
        id: r.id, projectId: r.projectId, key: r.key, kind: r.kind, state: r.state, definition: structuredClone(r.definition),
        version: r.version, pendingVersion: r.pendingVersion,
      };
    },

    async renew(projectId, cohortId, worker, leaseMs) {
      const r = cohorts.row(projectId, cohortId);
      if (!r || r.leaseOwner !== worker || r.leaseExpiresAt === null || r.leaseExpiresAt < now()) return false;
      r.leaseExpiresAt = now() + leaseMs;
      return true;
    },

    async release(projectId, cohortId, worker) {
      const r = cohorts.row(projectId, cohortId);
      if (r && r.leaseOwner === worker) {
        r.leaseOwner = null;
        r.leaseExpiresAt = null;
      }
    },


    holder(projectId, cohortId) {
      const r = cohorts.row(projectId, cohortId);
      return r && !free(r) ? r.leaseOwner : null;
    },
  };
  return store;
}
