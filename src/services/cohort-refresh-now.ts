/**
 * Refresh now (PRODUCT.md 6.3, 9): an admin runs one materialization of a cohort in the
 * request. Audited like every admin write (action `refresh`, with the outcome).
 */
import { AppError } from '../errors.js';
import type { Cohort } from '../domain/cohort.js';
import type { AuditStore } from '../ports/audit-store.js';
import type { RefreshCohort, RefreshOutcome } from '../ports/refresh-cohort.js';
import type { AdminPrincipal } from './projects.js';

export interface RefreshNowDeps {
  cohorts: { get(projectId: number, key: string): Promise<Cohort> };
  refreshCohort: RefreshCohort;
  audit: Pick<AuditStore, 'write'>;
  /** how long a request waits for a run elsewhere (the refresher's) to release the cohort, ms (default 3 s) */
  busyWaitMs?: number;
}

export function createRefreshNow(deps: RefreshNowDeps) {
  /**
   * Computes cohort `key` now and returns the outcome (ok or failed, as the calculation
   * history records it) with the cohort after it. Throws not_found, or conflict (details
   * `{ status: 'busy' | 'skipped' }`) when another run holds the cohort (after waiting up to
   * `busyWaitMs` for it) or its state forbids it.
   */
  return async function refreshNow(who: AdminPrincipal, projectId: number, key: string): Promise<{ outcome: RefreshOutcome; cohort: Cohort }> {
    const c = await deps.cohorts.get(projectId, key);
    // A scheduled run may hold the cohort for a moment: wait for it briefly, then say busy.
    const deadline = Date.now() + (deps.busyWaitMs ?? 3_000);
    let outcome = await deps.refreshCohort(c.projectId, c.id, { worker: `api:${process.pid}` });
    for (let wait = 25; outcome.status === 'busy' && Date.now() + wait <= deadline; wait = Math.min(wait * 2, 500)) {
      await new Promise((r) => setTimeout(r, wait));
      outcome = await deps.refreshCohort(c.projectId, c.id, { worker: `api:${process.pid}` });
    }
    if (outcome.status === 'busy') throw new AppError('conflict', `cohort ${c.key} is being refreshed elsewhere; try again shortly`, { status: 'busy' });
    if (outcome.status === 'skipped') throw new AppError('conflict', `cohort ${c.key} was not refreshed: ${outcome.reason}`, { status: 'skipped', reason: outcome.reason });
    await deps.audit.write({ projectId, actor: who.actor, action: 'refresh', entityKind: 'cohort', entityKey: c.key, after: outcome.status === 'ok' ? { status: 'ok', version: outcome.version, member_count: outcome.memberCount } : { status: 'failed', code: outcome.code } });
    return { outcome, cohort: await deps.cohorts.get(c.projectId, c.key) };
  };
}

export type RefreshNow = ReturnType<typeof createRefreshNow>;
