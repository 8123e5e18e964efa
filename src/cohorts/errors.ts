/**
 * Why a cohort calculation failed (PRODUCT.md 6.3): the closed set of codes stored in
 * `cohort_calculations.error_code` and `cohorts.last_error_code`.
 */
import { CohortCompileError } from './compiler.js';

export { COHORT_ERROR_CODES, type CohortError, type CohortErrorCode } from '../domain/cohort.js';
import type { CohortError, CohortErrorCode } from '../domain/cohort.js';

/** Thrown inside a refresh when a limit of ours (not PostgreSQL's) is hit. */
export class CohortRefreshError extends Error {
  constructor(readonly code: CohortErrorCode, message: string) {
    super(message);
  }
}

/** PostgreSQL SQLSTATE -> cohort error code (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
const PG_CODES: Record<string, CohortErrorCode> = {
  '57014': 'timeout', // query_canceled: statement_timeout
  '55P03': 'timeout', // lock_not_available
  '2201B': 'invalid_regex', // invalid_regular_expression
  '22P02': 'incompatible_types', // invalid_text_representation
  '42883': 'incompatible_types', // undefined_function: operator on the wrong types
  '22003': 'incompatible_types', // numeric_value_out_of_range
  '22007': 'incompatible_types', // invalid_datetime_format
  '22008': 'incompatible_types', // datetime_field_overflow
  '42804': 'incompatible_types', // datatype_mismatch
  '53200': 'memory_limit', // out_of_memory
  '53100': 'capacity', // disk_full (temp files for sorts and hashes)
  '53400': 'capacity', // configuration_limit_exceeded (temp_file_limit)
  '54000': 'query_size', // program_limit_exceeded
  '54001': 'query_size', // statement_too_complex
  '54011': 'query_size', // too_many_columns
  '54023': 'query_size', // too_many_arguments
  '57P01': 'interrupted', // admin_shutdown
  '57P02': 'interrupted', // crash_shutdown
  '57P03': 'interrupted', // cannot_connect_now
  '40001': 'interrupted', // serialization_failure
  '40P01': 'interrupted', // deadlock_detected
};

const oneLine = (s: string) => (s.length > 500 ? `${s.slice(0, 497)}...` : s).replace(/\s+/g, ' ');

/**
 * Maps any error thrown during a calculation (PostgreSQL, Redis, compiler, ours) to a
 * cohort error. Unknown errors count as `interrupted`: the run did not finish, and the
 * previous version stays live.
 */
export function toCohortError(err: unknown): CohortError {
  if (err instanceof CohortCompileError || err instanceof CohortRefreshError) return { code: err.code, message: oneLine(err.message) };
  const e = err as { code?: unknown; message?: unknown };
  const message = oneLine(typeof e?.message === 'string' ? e.message : String(err));
  if (typeof e?.code === 'string' && PG_CODES[e.code]) return { code: PG_CODES[e.code], message };
  if (/^OOM\b/.test(message)) return { code: 'memory_limit', message: `Redis: ${message}` };
  return { code: 'interrupted', message };
}
