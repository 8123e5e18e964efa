/** Cohorts (PRODUCT.md 6): their kinds, lifecycle states, bookkeeping and members. Times are ISO 8601 unless named ms. */
import type { CohortState } from '../core/index.js';
import type { CohortDefinition } from './cohort-definition.js';

export type { CohortState };

/** static: an uploaded list of distinct_ids; dynamic: a definition over properties, events and cohorts. */
export type CohortKind = 'static' | 'dynamic';

export const COHORT_STATES: readonly CohortState[] = ['building', 'active', 'paused', 'archived'];

/** A cohort with its refresh bookkeeping (PRODUCT.md 6.3). */
export interface Cohort {
  id: number;
  projectId: number;
  key: string;
  name: string;
  description: string;
  kind: CohortKind;
  definition: CohortDefinition | null;
  state: CohortState;
  /** edit version, for optimistic concurrency */
  definitionVersion: number;
  /** live materialized version (0: never materialized) */
  version: number;
  pendingVersion: number | null;
  memberCount: number;
  lastCalculatedAt: string | null;
  errorsCalculating: number;
  lastErrorAt: string | null;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  /** seconds; null: the tier's interval */
  refreshIntervalS: number | null;
  /** when the refresher runs it next (null: not scheduled) */
  nextRunAt: string | null;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** true while a refresh holds the cohort (a pending version under an unexpired lease) */
  isCalculating: boolean;
  /** the name of the admin key that created the cohort (null: created before this was kept, or internally) */
  createdBy: string | null;
}

/** How many cohorts of a project are in each state. */
export type CohortStateCounts = Record<CohortState, number>;

/** A cohort to create. */
export interface NewCohort {
  projectId: number;
  key: string;
  name: string;
  description: string;
  kind: CohortKind;
  definition: CohortDefinition | null;
  refreshIntervalS: number | null;
  /** the creating admin key's id: its name is kept as `createdBy` */
  createdByKeyId?: number;
}

/** Fields an edit may change (undefined: unchanged). */
export interface CohortPatch {
  name?: string;
  description?: string;
  definition?: CohortDefinition;
  /** null resets to the tier's interval */
  refreshIntervalS?: number | null;
}

/** What reference checks and the SQL compiler need to know about a cohort. */
export interface CohortRef {
  id: number;
  kind: CohortKind;
  state: CohortState;
  definition: CohortDefinition | null;
}

/** One cohort as decisions see it: identity for the membership read, state and freshness. */
export interface CohortInfo {
  id: number;
  key: string;
  state: CohortState;
  /** live materialized version (0: never materialized) */
  version: number;
  /** unix ms of the live version's computation, null if never */
  asOf: number | null;
}

/** One listed distinct_id of a static cohort, with its person when it has been seen. */
export interface StaticMember {
  distinctId: string;
  personId: number | null;
  addedAt: string;
}

/** A cohort under a row lease: what one refresh run needs. */
export interface LeasedCohort {
  id: number;
  projectId: number;
  key: string;
  kind: CohortKind;
  state: CohortState;
  definition: CohortDefinition | null;
  version: number;
  /** left by a run that died before finishing (its Redis set may still exist) */
  pendingVersion: number | null;
}

/** One refresh run from the calculation history. `durationMs` in ms. */
export interface Calculation {
  id: number;
  version: number;
  worker: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  memberCount: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  stats: Record<string, unknown>;
}

/** Why a cohort calculation failed (PRODUCT.md 6.3): the closed set stored with the history and the cohort. */
export const COHORT_ERROR_CODES = [
  'timeout',
  'memory_limit',
  'query_size',
  'invalid_regex',
  'incompatible_types',
  'no_properties',
  'validation_error',
  'interrupted',
  'capacity',
] as const;
export type CohortErrorCode = (typeof COHORT_ERROR_CODES)[number];

/** A failed calculation as recorded: a code and a one-line message. */
export interface CohortError {
  code: CohortErrorCode;
  message: string;
}
