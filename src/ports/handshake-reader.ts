import type { PersonRecord } from '../domain/person.js';

/** Everything one handshake reads from the membership and identity store, in one round trip. */
export interface HandshakeRead {
  personId: number | null;
  person: PersonRecord | null;
  /** the identity map of the project is complete: a miss means "unknown id" */
  identityReady: boolean;
  usedAnon: boolean;
  /** one entry per requested cohort id, in order */
  members: boolean[];
  /**
   * Indexes (into the requested cohort ids) of cohorts with no live membership in the store:
   * never materialized, or lost (a Redis restart without persistence). Empty when none.
   */
  missing: readonly number[];
  /** one entry per requested survey key, in order */
  responses: number[];
}

/**
 * The handshake's one read (PRODUCT.md 3, 8.1): identity (distinct_id, else anon_id), the
 * person document, membership in each cohort the snapshot reads, survey response counters.
 */
export interface HandshakeReader {
  /**
   * `cohortIds` and `surveyKeys` should be the same array objects for one snapshot (adapters
   * may cache per array). Rejects on a store error, when the store is not connected, or when
   * the reply has not arrived within the timeout; callers degrade.
   */
  read(projectId: number, distinctId: string, anonId: string | null, cohortIds: readonly number[], surveyKeys: readonly string[]): Promise<HandshakeRead>;
}
