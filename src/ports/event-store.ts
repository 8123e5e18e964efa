import type { Db } from './db.js';

/** What the event store needs of an event; `time` is unix ms, `propertiesJson` a JSON object. */
export interface EventToStore {
  event: string;
  distinctId: string;
  time: number;
  insertId: string;
  propertiesJson: string;
}

/** Per-name event counts of one person, most frequent first. */
export interface EventCount {
  event: string;
  count: number;
}

/** Events (PRODUCT.md 4.1): immutable, stored once per `(project, $insert_id)`. */
export interface EventStore {
  /** stores a batch (in-batch duplicates removed by the caller); returns the insert ids actually stored */
  insert(db: Db, projectId: number, events: readonly EventToStore[]): Promise<Set<string>>;
  /** deletes every event of these distinct ids (GDPR erasure); returns how many */
  deleteForDistinctIds(db: Db, projectId: number, distinctIds: readonly string[]): Promise<number>;
  /** event counts by name over these distinct ids, most frequent first (ties by name) */
  countsByName(db: Db, projectId: number, distinctIds: readonly string[], limit: number): Promise<EventCount[]>;
  /** the time (unix ms) of the event stored with this `$insert_id`, or null */
  timeOf(db: Db, projectId: number, insertId: string): Promise<number | null>;
  /** total `survey sent` events per `$survey_key` (rebuilds the response counters) */
  surveyResponseCounts(db: Db, projectId: number): Promise<Map<string, number>>;
}
