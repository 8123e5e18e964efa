import type { PersonDoc, PersonRecord } from '../domain/person.js';

/** One batch of identity-map changes for one project, applied together. */
export interface IdentityCacheWrite {
  /** person documents (versioned: an older one never replaces a newer one) */
  docs?: readonly PersonDoc[];
  /** distinct ids seen for the first time: set only if absent, so a later alias move is never undone */
  newIds?: ReadonlyArray<readonly [distinctId: string, personId: number]>;
  /** distinct ids that moved (alias, merge) or a rebuild: plain set */
  setIds?: ReadonlyArray<readonly [distinctId: string, personId: number]>;
  removedIds?: readonly string[];
  removedPersons?: readonly number[];
  /** `survey sent` events per survey key: increments */
  surveyIncrements?: ReadonlyMap<string, number>;
  /** absolute response counts per survey key (rebuild) */
  surveyCounts?: ReadonlyMap<string, number>;
  /** mark the project's identity map complete */
  ready?: boolean;
}

/** The identity map's answer for one distinct_id (and anon_id). */
export interface IdentityLookup {
  /** the project's map is complete: a miss means "unknown id" */
  ready: boolean;
  person: PersonRecord | null;
  /** the anon_id's person was used (distinct_id not known yet) */
  usedAnon: boolean;
}

/**
 * The identity map (distinct_id -> person id -> person document) in a fast store, written
 * through after every committed change and rebuilt from PostgreSQL when lost (PRODUCT.md 5).
 */
export interface IdentityCache {
  /** one round trip: distinct_id, else anon_id -> person document; rejects on store errors */
  lookup(projectId: number, distinctId: string, anonId?: string | null): Promise<IdentityLookup>;
  /** applies one batch of changes; rejects if any part failed */
  write(projectId: number, w: IdentityCacheWrite): Promise<void>;
  /** forgets that the project's map is complete: the next lookup rebuilds it */
  clearReady(projectId: number): Promise<void>;
}
