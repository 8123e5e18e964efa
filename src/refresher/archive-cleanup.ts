import type { Logger } from 'pino';
import type { ArchiveCleanupStore } from '../ports/archive-cleanup-store.js';
import type { MembershipStore } from '../ports/membership-store.js';
import { atMostEvery } from './at-most-every.js';

export interface ArchiveCleanupOptions {
  store: ArchiveCleanupStore;
  membership: Pick<MembershipStore, 'dropAll'>;
  logger: Logger;
  /** ms an archived cohort keeps its materialization, so a quick restore is cheap (default 1 h) */
  graceMs?: number;
  /** ms between passes (default 60 s) */
  everyMs?: number;
  /** older versions than this many below the live one were already dropped by the switch */
  versionWindow?: number;
  workerId: string;
}

/**
 * Drops the Redis materialization (live pointer and version sets) of cohorts archived longer
 * than the grace period. It is recorded as a `cohort_calculations` row with
 * `stats.kind = 'cleanup'` (readable in the history; it also marks the cohort as done) and
 * `member_count` set to 0; `version` is kept so a restore continues from the next number.
 * A restore within the grace period finds everything still in place.
 */
export function createArchiveCleanup(opts: ArchiveCleanupOptions) {
  const graceMs = opts.graceMs ?? 3_600_000;
  const everyMs = opts.everyMs ?? 60_000;
  const window = opts.versionWindow ?? 5;

  /** One pass; returns the ids of the cohorts cleaned. `nowMs` is unix ms. */
  async function runNow(nowMs: number): Promise<number[]> {
    const cleaned = await opts.store.cleanDue(nowMs, nowMs - graceMs, opts.workerId, (c) =>
      opts.membership.dropAll(c.projectId, c.id, c.version - window, Math.max(c.version, c.pendingVersion ?? 0) + 1),
    );
    if (cleaned.length) opts.logger.info({ cohorts: cleaned }, 'dropped the materialization of archived cohorts');
    return cleaned;
  }

  return {
    runNow,
    /** Housekeeping hook for the refresher: a pass at most every `everyMs`. */
    maybeRun: atMostEvery(everyMs, runNow),
  };
}

export type ArchiveCleanup = ReturnType<typeof createArchiveCleanup>;
