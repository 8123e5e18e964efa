import type { Cohort, CohortPatch, CohortRef, CohortState, CohortStateCounts, NewCohort } from '../domain/cohort.js';
import type { Tier } from '../domain/project.js';
import type { Db } from './db.js';

/** Cohort rows: CRUD, lifecycle state, listing, and the reference map the SQL compiler needs. */
export interface CohortStore {
  /** inserts a cohort in state `building`, due now; throws a unique violation (pg 23505) on a duplicate key */
  insert(c: NewCohort, db?: Db): Promise<Cohort>;
  byKey(projectId: number, key: string, db?: Db): Promise<Cohort | null>;
  byId(projectId: number, id: number, db?: Db): Promise<Cohort | null>;
  /** locks the row for the rest of the transaction */
  lockByKey(projectId: number, key: string, db: Db): Promise<Cohort | null>;
  /** moves a cohort to `state` at `at`, with the schedule and archive columns the action sets (undefined: unchanged) */
  setState(projectId: number, id: number, state: CohortState, at: Date, effects: { nextRunAt?: Date | null; archivedAt?: Date | null }, db?: Db): Promise<Cohort>;
  /** keys of the non-archived cohorts whose definitions reference cohort `key` */
  referencedBy(projectId: number, key: string, db?: Db): Promise<string[]>;
  /** keyset page by id; archived cohorts only when asked; `search`: case-insensitive substring of key or name */
  list(projectId: number, opts: { includeArchived: boolean; afterId: number; limit: number; search?: string }): Promise<Cohort[]>;
  /** how many cohorts of the project are in each state */
  countByState(projectId: number): Promise<CohortStateCounts>;
  /** every cohort of the project by key */
  refs(projectId: number, db?: Db): Promise<Map<string, CohortRef>>;
  /** cohorts that are not archived */
  live(projectId: number): Promise<Cohort[]>;
  /** applies a patch and bumps definition_version; null when `expectedVersion` is given and stale */
  update(projectId: number, id: number, patch: CohortPatch, expectedVersion: number | null, db?: Db): Promise<Cohort | null>;
  /**
   * Adds `delta` to member_count while `version` is still the live version (an event-driven
   * or static-follow change of that version); a newer version recorded meanwhile wins.
   */
  adjustMemberCount(projectId: number, cohortId: number, version: number, delta: number): Promise<void>;
  /** makes a cohort due now (the refresher picks it up on its next tick) */
  markDue(projectId: number, id: number): Promise<void>;
  /** bumps the project's definitions version: API processes reload definitions and cohort states */
  bumpDefinitionsVersion(projectId: number, db?: Db): Promise<void>;
  /** checks a regex with the database's engine; its error message, or null when valid */
  regexError(pattern: string, db?: Db): Promise<string | null>;
  /** members of readable cohorts summed per tier, across projects (a metrics gauge) */
  membersPerTier(): Promise<Array<{ tier: Tier; members: number }>>;
}
