/**
 * Live changes between processes (docs/stream.md): what the decision streams of every API
 * process must re-evaluate. Definition changes travel on the definitions notifier; this
 * channel carries person-level changes (a cohort refresh moved them, their properties changed).
 */
import type { Db } from './db.js';

export type LiveMessage =
  /** these persons (ids) and distinct_ids (unseen static members) may have new decisions */
  | { kind: 'persons'; projectId: number; personIds: number[]; distinctIds: string[] }
  /** anyone in the project may have new decisions (too many persons moved to list) */
  | { kind: 'project'; projectId: number };

export interface LiveChannel {
  /** announces a change; callers ignore failures (streams also re-check on the version poll) */
  publish(message: LiveMessage): Promise<void>;
  /** resolves to an unsubscribe function */
  subscribe(on: (message: LiveMessage) => void): Promise<() => Promise<void>>;
}

/** Who entered and left a cohort between two materialized versions (member strings: person ids, `d:<distinct_id>`). */
export interface CohortDiff {
  entered: string[];
  left: string[];
  /** true when more than `cap` changed either way: the lists are cut at `cap` */
  truncated: boolean;
  enteredCount: number;
  leftCount: number;
}

export interface CohortDiffReader {
  /** members of version `to` not in `from`, and the reverse; `from` 0 means "no previous version" */
  diff(projectId: number, cohortId: number, from: number, to: number, cap: number): Promise<CohortDiff>;
  /**
   * The same changes, streamed in batches (chunk by chunk of person ids, then unseen static
   * ids), uncapped: what membership history records. Yields only non-empty batches.
   */
  chunks(projectId: number, cohortId: number, from: number, to: number): AsyncIterable<{ entered: string[]; left: string[] }>;
}

/** A refresh switched a cohort to a new version (told before the old version is dropped). */
export interface CohortSwitched {
  projectId: number;
  cohortId: number;
  cohortKey: string;
  version: number;
  /**
   * the version the change is counted from: the one PostgreSQL recorded (and so announced) last,
   * 0 when none. Usually the one live before; after a run that switched Redis but died before
   * recording, the older recorded one, so its unannounced change is announced now.
   */
  previousVersion: number;
  memberCount: number;
  asOf: number;
  /** when the new version went live (unix ms): membership history's time of the change */
  switchedAt: number;
  /** static cohorts change by edits, dynamic ones by their definition */
  kind: 'static' | 'dynamic';
}

/**
 * What a switch announces, prepared (diffed) after the Redis switch and before the old version
 * is dropped (docs/webhooks.md "Cohort events"): `record` writes the webhook outbox rows inside
 * the transaction that records the new version in PostgreSQL (so they commit or roll back with
 * it); `publish` tells the decision streams, after that commit.
 */
export interface SwitchAnnouncement {
  record(db: Db): Promise<void>;
  publish(): Promise<void>;
}
