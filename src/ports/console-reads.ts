/**
 * Read-only queries the admin console needs beyond the admin API's stores: a sample of a
 * project's persons (the "who flips" preview), how many of an upload's ids a static cohort
 * lists already (the upload dry run) and a person's last events. Nothing here writes.
 */

/** A person as the preview evaluates it: bucketing key, stored properties, every distinct id. */
export interface SampledPerson {
  id: number;
  bucketingKey: string;
  properties: Record<string, unknown>;
  /** sorted; never empty for a person the feeds created */
  distinctIds: string[];
}

/** One stored event, newest first in lists. `time` is unix ms. */
export interface StoredEvent {
  id: number;
  event: string;
  distinctId: string;
  time: number;
  properties: Record<string, unknown>;
}

export interface ConsoleReads {
  /** up to `limit` persons of a project, most recently seen first, each with all its distinct ids */
  samplePersons(projectId: number, limit: number): Promise<SampledPerson[]>;
  /** how many persons the project has */
  personCount(projectId: number): Promise<number>;
  /** how many of `ids` (unique) the static cohort lists already */
  countListed(projectId: number, cohortId: number, ids: string[]): Promise<number>;
  /** every distinct id of the person holding `distinctId`, or null when no person holds it */
  distinctIdsOfHolder(projectId: number, distinctId: string): Promise<string[] | null>;
  /** events of these distinct ids, newest first; `before` continues after a previous page's last event */
  lastEvents(projectId: number, distinctIds: string[], opts: { limit: number; before?: { time: number; id: number } }): Promise<StoredEvent[]>;
}
