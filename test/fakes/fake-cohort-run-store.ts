import type { Calculation } from '../../src/domain/cohort.js';
import type { CohortRunStore } from '../../src/ports/cohort-run-store.js';
import type { FakeCohortStore, FakeCohortRow } from './fake-cohort-store.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Refresh-run bookkeeping on the fake cohort store's rows and history, as
 * adapters/postgres/cohort-run-store.ts writes it: `startRun` reserves
 * max(version, pending, floor) + 1 and opens a history row; `succeed` ignores a version
 * not above the recorded one, turns building into active and resets the error count;
 * `fail` counts the error and keeps the live version; both give the pending version and
 * the lease (if still `worker`'s) back. Times come from the cohort store's clock.
 */
export function createFakeCohortRunStore(cohorts: FakeCohortStore) {
  const now = cohorts.now;
  let nextCalc = 1;
  const must = (projectId: number, cohortId: number): FakeCohortRow => {
    const r = cohorts.row(projectId, cohortId);
    if (!r) throw new Error(`fake run store: no cohort ${cohortId} in project ${projectId}`);
    return r;
  };
  const releaseIfOwner = (r: FakeCohortRow, worker: string) => {
    if (r.leaseOwner === worker) {
      r.leaseOwner = null;
      r.leaseExpiresAt = null;
    }
  };

  const store: CohortRunStore = {
    exists: async (projectId, cohortId) => cohorts.row(projectId, cohortId) !== undefined,

    async startRun(projectId, cohortId, worker, floor = 0) {
      const r = must(projectId, cohortId);
      r.pendingVersion = Math.max(r.version, r.pendingVersion ?? 0, floor) + 1;
      const calc = {
        id: nextCalc++, projectId, cohortId, version: r.pendingVersion, worker, startedAt: now(), finishedAt: null,
        durationMs: null, memberCount: null, errorCode: null, errorMessage: null, stats: {},
      };
      cohorts.calculations.push(calc);
      return { version: calc.version, calculationId: calc.id };
    },

    async succeed(projectId, cohortId, worker, res) {
      const r = cohorts.row(projectId, cohortId);
      if (!r || r.version >= res.version) return false;
      r.version = res.version;
      r.memberCount = res.memberCount;
      r.lastCalculatedAt = iso(res.asOf);
      r.errorsCalculating = 0;
      if (r.state === 'building') r.state = 'active';
      if (r.pendingVersion === res.version) r.pendingVersion = null;
      releaseIfOwner(r, worker);
      return true;
    },

    async fail(projectId, cohortId, worker, version, e) {
      const r = cohorts.row(projectId, cohortId);
      if (!r) return;
      r.errorsCalculating++;
      r.lastErrorAt = iso(now());
      r.lastErrorCode = e.code;
      r.lastErrorMessage = e.message;
      if (r.pendingVersion === version) r.pendingVersion = null;
      releaseIfOwner(r, worker);
    },

    async finishCalculation(projectId, calculationId, res) {
      const c = cohorts.calculations.find((x) => x.id === calculationId && x.projectId === projectId);
      if (!c) return;
      Object.assign(c, {
        finishedAt: now(), durationMs: Math.round(res.durationMs), memberCount: res.memberCount ?? null,
        errorCode: res.error?.code ?? null, errorMessage: res.error?.message ?? null, stats: { ...res.stats },
      });
    },

    async calculations(projectId, cohortId, page): Promise<Calculation[]> {
      return cohorts.calculations
        .filter((c) => c.projectId === projectId && c.cohortId === cohortId && (page.beforeId === undefined || c.id < page.beforeId))
        .sort((a, b) => b.id - a.id)
        .slice(0, page.limit)
        .map((c) => ({
          id: c.id, version: c.version, worker: c.worker, startedAt: iso(c.startedAt), finishedAt: c.finishedAt === null ? null : iso(c.finishedAt),
          durationMs: c.durationMs, memberCount: c.memberCount, errorCode: c.errorCode, errorMessage: c.errorMessage, stats: { ...c.stats },
        }));
    },

    async reschedule(projectId, cohortId, atMs) {
      const r = cohorts.row(projectId, cohortId);
      if (r && (r.state === 'building' || r.state === 'active')) r.nextRunAt = iso(atMs);
    },

    async closeInterrupted(projectId, cohortId, deadWorker, nowMs) {
      let n = 0;
      for (const c of cohorts.calculations) {
        if (c.projectId !== projectId || c.cohortId !== cohortId || c.worker !== deadWorker || c.finishedAt !== null) continue;
        Object.assign(c, {
          finishedAt: nowMs, errorCode: 'interrupted', durationMs: Math.max(0, nowMs - c.startedAt),
          errorMessage: `worker ${deadWorker} lost its lease before finishing (killed or stalled)`,
        });
        n++;
      }
      return n;
    },

    errorsCalculating: async (projectId, cohortId) => cohorts.row(projectId, cohortId)?.errorsCalculating ?? 0,

    async materialized() {
      return cohorts
        .rows()
        .filter((r) => (r.state === 'active' || r.state === 'paused') && r.version > 0)
        .map((r) => ({ projectId: r.projectId, id: r.id, kind: r.kind, state: r.state, version: r.version, lastDurationMs: null }));
    },
  };
  return store;
}
