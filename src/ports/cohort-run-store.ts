import type { Calculation, CohortErrorCode, CohortKind, CohortState } from '../domain/cohort.js';
import type { Db } from './db.js';

/** Refresh runs: reserved versions, bookkeeping of outcomes, schedule, and the calculation history. */
export interface CohortRunStore {
  exists(projectId: number, cohortId: number): Promise<boolean>;
  /**
   * Reserves the next materialized version (above the recorded one, any abandoned pending one
   * and `floor`, the version live in Redis) and opens a history row.
   */
  startRun(projectId: number, cohortId: number, worker: string, floor?: number): Promise<{ version: number; calculationId: number }>;
  /**
   * records a success (live version, count, as-of unix ms); building becomes active; the lease is
   * released if still `worker`'s. False when a version as new was already recorded (nothing
   * written). `db`: a transaction the caller also writes the change's webhook outbox rows in.
   */
  succeed(projectId: number, cohortId: number, worker: string, r: { version: number; memberCount: number; asOf: number }, db?: Db): Promise<boolean>;
  /** records a failure: the live version stays; the error is counted; the lease is released if still `worker`'s */
  fail(projectId: number, cohortId: number, worker: string, version: number, e: { code: CohortErrorCode; message: string }): Promise<void>;
  /** closes a history row; `durationMs` in ms; `stats`: rows, query_ms, redis_ms, listeners_ms, redis_bytes, ... */
  finishCalculation(projectId: number, calculationId: number, r: { durationMs: number; memberCount?: number; error?: { code: CohortErrorCode; message: string }; stats: Record<string, number> }): Promise<void>;
  /** a cohort's runs, newest first; `beforeId` is the keyset cursor */
  calculations(projectId: number, cohortId: number, page: { beforeId?: number; limit: number }): Promise<Calculation[]>;
  /** sets the next run (unix ms) of a cohort that still refreshes */
  reschedule(projectId: number, cohortId: number, atMs: number): Promise<void>;
  /** closes the history rows a dead refresher left open (error code `interrupted`); returns how many */
  closeInterrupted(projectId: number, cohortId: number, deadWorker: string, nowMs: number): Promise<number>;
  /** consecutive failures of a cohort */
  errorsCalculating(projectId: number, cohortId: number): Promise<number>;
  /**
   * Every materialized cohort (active or paused, live version above 0) across projects, with
   * its last successful run's duration (ms, null when unknown): what membership-loss recovery
   * checks against Redis.
   */
  materialized(): Promise<Array<{ projectId: number; id: number; kind: CohortKind; state: CohortState; version: number; lastDurationMs: number | null }>>;
}
