/**
 * The monthly partitions of `events` (migrations/005_events_partitioned.sql; docs/scaling.md):
 * created ahead of time, rows of the default partition moved into their month, and
 * retention applied. Months are UTC months; times are unix ms.
 */
export interface EventPartitionMonth {
  /** the partition's table name, `events_y2026m12` */
  name: string;
  /** first instant covered (inclusive), unix ms */
  from: number;
  /** first instant not covered, unix ms */
  to: number;
}

export interface EventPartitions {
  /** the monthly partitions, oldest first (the default partition is not listed) */
  months(): Promise<EventPartitionMonth[]>;
  /** creates the partitions of the month of `nowMs` and the `ahead` months after it; returns the names created */
  ensureAhead(nowMs: number, ahead: number): Promise<string[]>;
  /**
   * Moves the rows of the default partition into partitions of their own month (created as
   * needed), one month per transaction, at most `maxMonths` per call. Returns the months moved
   * with their row counts.
   */
  splitDefault(maxMonths: number): Promise<Array<{ name: string; rows: number }>>;
  /** the projects' event retention in days (null: forever), for every project */
  retentions(): Promise<Array<{ projectId: number; days: number | null }>>;
  /** drops a whole partition (every row in it is past every project's retention) */
  drop(name: string): Promise<void>;
  /** deletes up to `limit` events (and their insert ids) of the project older than `beforeMs`; returns how many */
  deleteOlder(projectId: number, beforeMs: number, limit: number): Promise<number>;
}
