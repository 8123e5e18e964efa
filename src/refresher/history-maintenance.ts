/**
 * History retention (docs/history.md), a refresher housekeeping job run at most once per
 * `everyMs` (default 1 h): prunes membership intervals and as-of history older than
 * `retentionDays` (default 90), keeping what replay needs at the cutoff.
 */
import type { Logger } from 'pino';
import type { MembershipHistoryStore } from '../ports/membership-history.js';
import { atMostEvery } from './at-most-every.js';

const DAY_MS = 86_400_000;

export function createHistoryMaintenance(deps: { store: Pick<MembershipHistoryStore, 'prune'>; logger: Logger; retentionDays?: number; everyMs?: number }) {
  const everyMs = deps.everyMs ?? 3_600_000;
  const days = deps.retentionDays ?? 90;
  async function runNow(nowMs: number): Promise<number> {
    const deleted = await deps.store.prune(nowMs - days * DAY_MS);
    if (deleted) deps.logger.info({ deleted, retention_days: days }, 'history pruned');
    return deleted;
  }
  return {
    runNow,
    /** Housekeeping hook for the refresher: a pass at most every `everyMs`. */
    maybeRun: atMostEvery(everyMs, runNow),
  };
}
