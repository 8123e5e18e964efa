/**
 * What every filter compiler in this folder gets from the cohort compiler (compiler.ts): the
 * parameter sink, `now`, the project's time zone as SQL, and whether the statement is
 * restricted to the persons bound as `$2`. `$1` is always the project id.
 */
import type { ParamSink } from '../compile-property.js';

export interface FilterContext {
  params: ParamSink;
  /** unix ms of the computation (never read from a clock here) */
  now: number;
  /**
   * SQL text yielding the IANA time zone of calendar arithmetic: a bound parameter, or a
   * subquery reading projects.time_zone (migrations/009_cohort_time_zone.sql).
   */
  timeZone(): string;
  /** consider only the persons in `$2` (bigint[]) */
  restrict: boolean;
}

/** `$n::timestamptz` of the computation time, bound once per call. */
export const nowSql = (f: FilterContext): string => `${f.params.add(new Date(f.now).toISOString())}::timestamptz`;

/** The computation time as a wall-clock timestamp in the project's time zone. */
export const localNowSql = (f: FilterContext): string => `(${nowSql(f)} AT TIME ZONE ${f.timeZone()})`;
