import { conflict, notFound } from '../errors.js';
import { transition, type CohortState, type UserAction } from '../cohorts/lifecycle.js';
import type { AdminPrincipal } from './projects.js';
import type { AuditStore } from '../ports/audit-store.js';
import type { Calculation, Cohort } from '../domain/cohort.js';
import type { CohortStore } from '../ports/cohort-store.js';
import type { CohortRunStore } from '../ports/cohort-run-store.js';
import type { Transactions } from '../ports/db.js';
import type { CohortKind } from '../domain/cohort.js';

export type { Calculation };

/** A cohort's state and refresh bookkeeping, as the lifecycle endpoints answer it. Times are ISO. */
export interface CohortStatus {
  id: number;
  key: string;
  name: string;
  kind: CohortKind;
  state: CohortState;
  version: number;
  pendingVersion: number | null;
  memberCount: number;
  lastCalculatedAt: string | null;
  errorsCalculating: number;
  lastErrorAt: string | null;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  nextRunAt: string | null;
  archivedAt: string | null;
  /** non-archived cohorts whose definitions reference this one (their filters become unavailable when it is archived) */
  referencedBy: string[];
}

const toStatus = (c: Cohort, referencedBy: string[]): CohortStatus => ({
  id: c.id,
  key: c.key,
  name: c.name,
  kind: c.kind,
  state: c.state,
  version: c.version,
  pendingVersion: c.pendingVersion,
  memberCount: c.memberCount,
  lastCalculatedAt: c.lastCalculatedAt,
  errorsCalculating: c.errorsCalculating,
  lastErrorAt: c.lastErrorAt,
  lastErrorCode: c.lastErrorCode,
  lastErrorMessage: c.lastErrorMessage,
  nextRunAt: c.nextRunAt,
  archivedAt: c.archivedAt,
  referencedBy,
});

// What each admin action writes besides the state.
const EFFECTS: Record<UserAction, (at: Date) => { nextRunAt?: Date | null; archivedAt?: Date | null }> = {
  pause: () => ({}),
  // Membership was frozen: refresh as soon as a worker is free.
  resume: (at) => ({ nextRunAt: at }),
  archive: (at) => ({ archivedAt: at, nextRunAt: null }),
  // Back to building: the next tick rebuilds it; decisions skip it until then.
  restore: (at) => ({ archivedAt: null, nextRunAt: at }),
};

export interface CohortLifecycleDeps {
  tx: Transactions;
  cohorts: Pick<CohortStore, 'byKey' | 'lockByKey' | 'setState' | 'referencedBy' | 'bumpDefinitionsVersion'>;
  runs: Pick<CohortRunStore, 'calculations'>;
  audit: AuditStore;
  /** tells every API process that the project's definitions (cohort states) changed */
  notify: (projectId: number) => Promise<void>;
  /** unix ms */
  now?: () => number;
}

/** pause / resume / archive / restore (PRODUCT.md 6.2) and the calculation history. */
export function createCohortLifecycle(deps: CohortLifecycleDeps) {
  const { tx, audit, cohorts } = deps;
  const now = deps.now ?? Date.now;

  async function existing(projectId: number, key: string): Promise<Cohort> {
    const c = await cohorts.byKey(projectId, key);
    if (!c) throw notFound(`cohort ${key} not found`);
    return c;
  }

  return {
    /**
     * Applies an admin action to the cohort `key` of the project. Writes the audit log and
     * bumps projects.definitions_version in the same transaction, then notifies.
     * Throws not_found, or conflict with details `{ state, allowed }` when the lifecycle
     * refuses the action.
     */
    async apply(who: AdminPrincipal, projectId: number, key: string, action: UserAction): Promise<CohortStatus> {
      const status = await tx.run(async (db) => {
        const before = await cohorts.lockByKey(projectId, key, db);
        if (!before) throw notFound(`cohort ${key} not found`);
        const t = transition(before.state, action);
        if (!t.ok) {
          throw conflict(`cannot ${action} cohort ${key}: it is ${before.state}; allowed: ${t.allowed.join(', ') || 'none'}`, { state: before.state, allowed: t.allowed });
        }
        const at = new Date(now());
        const updated = await cohorts.setState(projectId, before.id, t.to, at, EFFECTS[action](at), db);
        await cohorts.bumpDefinitionsVersion(projectId, db);
        await audit.write(
          { projectId, actor: who.actor, action, entityKind: 'cohort', entityKey: key, before: { state: before.state }, after: { state: t.to } },
          db,
        );
        return toStatus(updated, await cohorts.referencedBy(projectId, key, db));
      });
      // Best effort: API processes also poll definitions_version.
      await deps.notify(projectId).catch(() => {});
      return status;
    },

    /** The cohort's state and bookkeeping; throws not_found. */
    async status(projectId: number, key: string): Promise<CohortStatus> {
      return toStatus(await existing(projectId, key), await cohorts.referencedBy(projectId, key));
    },

    /** Newest first; `beforeId` is the keyset cursor (the last id of the previous page). Throws not_found. */
    async calculations(projectId: number, key: string, page: { beforeId?: number; limit: number }): Promise<Calculation[]> {
      return deps.runs.calculations(projectId, (await existing(projectId, key)).id, page);
    },
  };
}

export type CohortLifecycle = ReturnType<typeof createCohortLifecycle>;
