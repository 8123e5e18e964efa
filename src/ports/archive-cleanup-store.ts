/** An archived cohort whose materialization is due to be dropped. */
export interface ArchivedCohort {
  id: number;
  projectId: number;
  version: number;
  pendingVersion: number | null;
}

/**
 * The database side of dropping archived cohorts' materializations: picks cohorts archived
 * before `archivedBeforeMs` (unix ms) and not cleaned since, at most 20, each locked so two
 * refreshers never clean one together; calls `drop` for each (which removes the members from
 * the membership store and returns how many keys went), then records the cleanup in the
 * history (`stats.kind = 'cleanup'`) and sets member_count to 0, all in one transaction.
 * Returns the ids cleaned.
 */
export interface ArchiveCleanupStore {
  cleanDue(nowMs: number, archivedBeforeMs: number, worker: string, drop: (c: ArchivedCohort) => Promise<number>): Promise<number[]>;
}
