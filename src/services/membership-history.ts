/**
 * Records membership history (issue 19, docs/history.md) from the three ways membership
 * changes: a refresh switching a cohort to a new version (its diff against the previous
 * version, computed in Redis chunk by chunk), event-driven adds and removes on the live
 * version, and alias merges (the merged-away person's intervals close). Erasure deletes the
 * person's history in its own transaction (the person store).
 */
import type { Logger } from 'pino';
import type { FeedListener } from '../ports/feed-listener.js';
import type { CohortDiffReader, CohortSwitched } from '../ports/live-channel.js';
import type { MembershipHistoryStore } from '../ports/membership-history.js';

export interface MembershipHistoryDeps {
  store: MembershipHistoryStore;
  diff: Pick<CohortDiffReader, 'chunks'>;
  logger: Logger;
  clock?: () => number;
}

export function createMembershipHistory(deps: MembershipHistoryDeps) {
  const clock = deps.clock ?? Date.now;
  const log = deps.logger.child({ component: 'membership-history' });

  /**
   * Records a switch. The common case diffs the new version against the previous one, which
   * history already holds. A cohort never recorded before (it existed before history began),
   * or one whose previous version was never recorded (a listener failure, a restore after
   * archive), is resynchronized: every member of the new version is compared in SQL with the
   * open intervals, so history is right again from this version on.
   */
  async function onSwitched(e: CohortSwitched): Promise<{ entered: number; left: number }> {
    const rec = await deps.store.recording(e.projectId, e.cohortId);
    const via = e.kind === 'static' ? 'static' : 'refresh';
    const base = { version: e.version, at: e.switchedAt, via } as const;
    const firstEver = rec.version === null && e.previousVersion === 0;
    if (firstEver || (rec.version !== null && rec.version === e.previousVersion)) {
      return deps.store.recordVersion(e.projectId, e.cohortId, { ...base, mode: 'diff', batches: deps.diff.chunks(e.projectId, e.cohortId, e.previousVersion, e.version) });
    }
    log.info({ project: e.projectId, cohort: e.cohortId, recorded: rec.version, previous: e.previousVersion }, 'membership history resynchronized from the live version');
    return deps.store.recordVersion(e.projectId, e.cohortId, { ...base, mode: 'resync', began: rec.version === null, batches: deps.diff.chunks(e.projectId, e.cohortId, 0, e.version) });
  }

  /** Event-driven changes of the live version (person ids that are in and out of the cohort now). */
  async function onEventChanges(projectId: number, cohortId: number, version: number, entered: string[], left: string[]): Promise<void> {
    if (entered.length === 0 && left.length === 0) return;
    await deps.store.recordChanges(projectId, cohortId, { version, at: clock(), entered, left });
  }

  /** Merged-away persons leave their cohorts (the surviving person's membership is recomputed as usual). */
  const listener: FeedListener = {
    async personsRemoved(projectId, personIds) {
      await deps.store.closePersons(projectId, personIds, clock());
    },
  };

  return { onSwitched, onEventChanges, listener };
}

export type MembershipHistory = ReturnType<typeof createMembershipHistory>;
