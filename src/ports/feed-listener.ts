import type { IdentityChange } from '../domain/person.js';

/**
 * Told by the feeds (ingest, engage, alias) after their changes are committed.
 * Listeners are best-effort: a failing listener is logged and never fails the write.
 * Used by static-cohort membership (ids that appear or move through an alias) and by the
 * enterprise tier's event-driven cohort recompute.
 */
export interface FeedListener {
  /** persons created, or distinct_ids attached to a person (first sight, alias, merge) */
  identitiesChanged?(projectId: number, changes: IdentityChange[]): Promise<void>;
  /** events stored for, or properties changed on, these persons */
  personsChanged?(projectId: number, personIds: number[]): Promise<void>;
  /** persons that no longer exist: erased by `$delete` or merged into another person */
  personsRemoved?(projectId: number, personIds: number[]): Promise<void>;
  /** persons erased by `$delete` (GDPR), with every distinct_id they held: nothing of them may remain */
  personsErased?(projectId: number, erased: IdentityChange[]): Promise<void>;
}
