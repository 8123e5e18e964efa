/**
 * Membership history (issue 19, docs/history.md): who entered and left each cohort, when,
 * and in which materialized version. Members are person ids as decimal strings, or
 * `d:<distinct_id>` for a static cohort's id that no person holds yet (as in the
 * membership store). Times are unix ms.
 */

/** How a membership changed: a dynamic refresh, a static cohort's edit (its rematerialization), an event-driven update. */
export type HistoryVia = 'refresh' | 'static' | 'event';

/** How one version's changes are recorded. */
export interface VersionRecording {
  /** the version that went live and when (unix ms) */
  version: number;
  at: number;
  via: HistoryVia;
  /**
   * `diff`: `batches` are the changes from the previously recorded version;
   * `resync`: `batches` list every member of `version` (as `entered`), compared in SQL with
   * the open intervals (the first recording of a cohort that existed before history, or a
   * version whose predecessor was never recorded); `began` marks the first case.
   */
  mode: 'diff' | 'resync';
  began?: boolean;
  batches: AsyncIterable<{ entered: string[]; left: string[] }>;
}

/** One membership interval; `leftAt` null while it lasts. */
export interface MembershipInterval {
  cohortId: number;
  /** the person id, or null for an unseen static distinct id */
  personId: number | null;
  distinctId: string | null;
  enteredAt: number;
  enteredVersion: number;
  /** `recording_began`: a member when recording began; it may have entered earlier */
  enteredVia: HistoryVia | 'recording_began';
  leftAt: number | null;
  leftVersion: number | null;
  leftVia: HistoryVia | 'alias' | null;
}

/** One entry of a cohort's change feed. */
export interface MembershipChange {
  kind: 'entered' | 'left';
  at: number;
  personId: number | null;
  distinctId: string | null;
  version: number;
  via: string;
  /** the interval's id (with `at` and `kind`, the feed's cursor position) */
  id: number;
}

export interface MembershipHistoryStore {
  /** the last recorded version and when recording began (null: never recorded) */
  recording(projectId: number, cohortId: number): Promise<{ version: number | null; from: number | null }>;
  /** records one version's changes and marks it recorded, in one transaction; returns the counts written */
  recordVersion(projectId: number, cohortId: number, r: VersionRecording): Promise<{ entered: number; left: number }>;
  /**
   * Records event-driven changes of the live version `version` when it is the recorded one
   * (else nothing: the next refresh's diff records them). Idempotent: a member with an open
   * interval is not entered again, a non-member does not leave.
   */
  recordChanges(projectId: number, cohortId: number, c: { version: number; at: number; entered: string[]; left: string[] }): Promise<{ entered: number; left: number }>;
  /** closes every open interval of persons that no longer exist (merged away by an alias) */
  closePersons(projectId: number, personIds: readonly number[], at: number): Promise<number>;
  /** the intervals of a person (its id and distinct ids), newest first */
  ofPerson(projectId: number, personId: number | null, distinctIds: readonly string[]): Promise<MembershipInterval[]>;
  /**
   * A cohort's changes with `since` <= at < `until`, oldest first, after `cursor` (an entry
   * of a previous page), at most `limit`.
   */
  changes(projectId: number, cohortId: number, q: { since: number; until: number; after: { at: number; id: number; kind: 'entered' | 'left' } | null; limit: number }): Promise<MembershipChange[]>;
  /**
   * Retention: removes membership intervals that ended before `before` (unix ms) and, in the
   * as-of histories, every row older than `before` that a newer row at or before it
   * supersedes (the state at `before` stays replayable); marks the projects' history as
   * pruned before that instant. Returns rows deleted.
   */
  prune(before: number): Promise<number>;
}
