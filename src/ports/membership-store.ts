/**
 * Materialized cohort membership (PRODUCT.md 6.3): versioned member sets plus a pointer to the
 * live version. Writers build a version off to the side, then switch the pointer atomically;
 * readers read pointer and set together, so they see one whole version. Members are person ids
 * as decimal strings, plus `d:<distinct_id>` for static-cohort ids that have no person yet.
 */

/** Who a membership question is about: a known person and/or the request's distinct ids. */
export interface MemberRef {
  personId: number | null;
  distinctIds: string[];
}

/** One cohort's answer: member or not, and the version read (null: never materialized). */
export interface MembershipAnswer {
  member: boolean;
  version: number | null;
}

/** What an add or remove on the live version did: the version it changed and by how many members. */
export interface MemberChange {
  version: number;
  changed: number;
}

/**
 * One page of a version's members: `cursor` (opaque to callers, meaningful only for the same
 * version) continues the scan; null when the scan is complete.
 */
export interface MemberScanPage {
  members: string[];
  cursor: string | null;
}

/**
 * A version's members as writeVersion takes them: each item one member or a batch of them
 * (a streamed writer passes batches: an `await` per member cost ~1 µs, 0.3 s for 300,000; issue 16).
 */
export type Members = Iterable<string> | AsyncIterable<string | readonly string[]>;

export interface MembershipStore {
  /**
   * writes `members` (person ids ascending, `d:` ids anywhere; may be streamed, one member or
   * a batch of members per item) as version `version` (not live yet); returns ms spent
   */
  writeVersion(projectId: number, cohortId: number, version: number, members: Members): Promise<number>;
  /**
   * Up to `limit` members of version `version`, from `cursor` (null: the start). Every member
   * present during the whole scan is returned exactly once, provided the version does not
   * change size meanwhile (event-driven adds and removes on the live version can repeat or
   * skip a member that moved). Answers null when the version is gone (replaced and dropped):
   * a cursor never continues in another version.
   */
  scanMembers(projectId: number, cohortId: number, version: number, cursor: string | null, limit: number): Promise<MemberScanPage | null>;
  /** makes `version` live, only forwards; the previous version (0: none), or -1 when a newer one is live */
  switchTo(projectId: number, cohortId: number, version: number): Promise<number>;
  /** deletes one version's set (never the live one: callers pass versions they replaced) */
  dropVersion(projectId: number, cohortId: number, version: number): Promise<void>;
  /** deletes the pointer and the sets of versions `fromVersion..toVersion` (archived cohorts); returns keys removed */
  dropAll(projectId: number, cohortId: number, fromVersion: number, toVersion: number): Promise<number>;
  /** the live version, or null when never materialized */
  currentVersion(projectId: number, cohortId: number): Promise<number | null>;
  /** the live version of each cohort of one project (null: none), in one round trip */
  liveVersions(projectId: number, cohortIds: readonly number[]): Promise<Array<number | null>>;
  /** adds members to the live version; returns it and how many were new, or null when there is none (nothing done) */
  addMembers(projectId: number, cohortId: number, members: string[]): Promise<MemberChange | null>;
  /** removes members from the live version; returns it and how many were members, or null when there is none */
  removeMembers(projectId: number, cohortId: number, members: string[]): Promise<MemberChange | null>;
  /** membership of one person in several cohorts, in one round trip; one answer per cohort id, in order */
  membership(projectId: number, cohortIds: number[], member: MemberRef): Promise<MembershipAnswer[]>;
  /** `membership` reduced to booleans */
  isMember(projectId: number, cohortIds: number[], member: MemberRef): Promise<boolean[]>;
  /** bytes one version takes in the store (sampled), 0 when it has no set */
  bytes(projectId: number, cohortId: number, version: number): Promise<number>;
}
