/**
 * Closed unions of decision reasons and error codes.
 * Both follow the OpenFeature specification (flag evaluation, "resolution details") so
 * OFREP and OpenFeature SDKs can pass them through unchanged.
 */

/** Every reason a decision can carry; the OpenFeature set, nothing more. */
export const REASONS = [
  'STATIC',
  'DEFAULT',
  'TARGETING_MATCH',
  'SPLIT',
  'DISABLED',
  'ERROR',
  'STALE',
  'CACHED',
  'UNKNOWN',
] as const;

/** Why a decision has its value (OpenFeature `reason`). */
export type Reason = (typeof REASONS)[number];

/** Every error code a decision can carry; the OpenFeature set, nothing more. */
export const ERROR_CODES = [
  'PROVIDER_NOT_READY',
  'FLAG_NOT_FOUND',
  'PARSE_ERROR',
  'TYPE_MISMATCH',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
] as const;

/** What went wrong when `reason` is `ERROR` (OpenFeature `errorCode`). */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** True when `value` is one of the closed reasons (for parsing stored or cached records). */
export function isReason(value: unknown): value is Reason {
  return typeof value === 'string' && (REASONS as readonly string[]).includes(value);
}

/** True when `value` is one of the closed error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
