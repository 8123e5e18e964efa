/** Persons and their identity (PRODUCT.md 2, 4, 5). Times are unix ms. */

/** One person's identity change: the person and every distinct_id it now holds. */
export interface IdentityChange {
  personId: number;
  distinctIds: string[];
}

/** A person's survey history: answered survey keys, and when a survey was last shown (unix ms). */
export interface SurveyHistory {
  answered: string[];
  lastShownAt: number | null;
}

/**
 * A person as the identity map holds it (the "person document"). `version` orders writes of
 * the same person: `updated_at` in µs, set under the row lock, so it grows with every
 * committed change. `propertiesJson` is PostgreSQL's jsonb text, embedded as is.
 */
export interface PersonDoc {
  id: number;
  bucketingKey: string;
  propertiesJson: string;
  identified: boolean;
  version: number;
  /** recomputed from `survey sent` / `survey shown` events of all the person's distinct ids */
  surveyHistory: SurveyHistory;
}

/** A person document read back for a decision: properties parsed. */
export interface PersonRecord {
  id: number;
  bucketingKey: string;
  properties: Record<string, unknown>;
  identified: boolean;
  surveyHistory: SurveyHistory;
}

/** A locked person row, for read-modify-write (engage, alias). */
export interface LockedPerson {
  id: number;
  bucketingKey: string;
  properties: Record<string, unknown>;
  /** property key -> unix ms it was written by `$set_once` */
  setOnceAt: Record<string, number>;
  identified: boolean;
  firstSeen: number | null;
  lastSeen: number | null;
  eventCount: number;
}

/** Person stats of one ingest batch. */
export interface PersonStatsDelta {
  id: number;
  count: number;
  firstMs: number;
  lastMs: number;
}
