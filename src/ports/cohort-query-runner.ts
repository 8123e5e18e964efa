import type { CompiledQuery } from '../cohorts/compiler.js';

/** Limits of one cohort query. */
export interface CohortQueryLimits {
  /** statement timeout, ms (default 5 min) */
  timeoutMs?: number;
  /** work_mem for the hash/sort set operations (default 64MB) */
  workMem?: string;
}

/**
 * Runs a compiled cohort query (cohorts/compiler.ts) read-only, with its own limits.
 * Resolves to the member person ids; rejects with the database's error (map with toCohortError).
 */
export type CohortQueryRunner = (q: CompiledQuery, limits?: CohortQueryLimits) => Promise<number[]>;

/**
 * Runs a compiled cohort query like CohortQueryRunner, streamed: yields the member person
 * ids in batches (a server-side cursor), so no process ever holds all members at once.
 * Rejects (while iterating) with the database's error; breaking out of the loop closes the
 * cursor and its transaction.
 */
export type CohortQueryStream = (q: CompiledQuery, limits?: CohortQueryLimits) => AsyncIterable<number[]>;
