/**
 * Small constructors and transforms of decision records, shared by the evaluators and by
 * services (errors on the evaluation path are values, as OpenFeature's ResolutionDetails).
 */
import type { ErrorCode, Reason } from './reasons.js';
import type { Decision, JsonValue } from './types.js';

/**
 * A decision carrying only an error: no value, no variant (the caller uses its own default).
 * Services use it for PROVIDER_NOT_READY and similar failures outside the core.
 */
export function errorDecision(key: string, code: ErrorCode, message: string, version = 0): Decision {
  return { key, value: null, variant: null, reason: 'ERROR', error_code: code, error_message: message, version, freshness: [] };
}

/**
 * The same decision with another reason, for results served from outside a fresh evaluation:
 * `CACHED` (served from a cache), `STALE` (last known result while a store is unreachable).
 */
export function withReason(decision: Decision, reason: Extract<Reason, 'CACHED' | 'STALE' | 'UNKNOWN'>): Decision {
  return { ...decision, reason };
}

/** A JSON type an OpenFeature caller may ask for. */
export type ExpectedType = 'boolean' | 'string' | 'number' | 'object';

function matchesType(value: JsonValue, expected: ExpectedType): boolean {
  if (expected === 'object') return typeof value === 'object' && value !== null;
  return typeof value === expected;
}

/**
 * Checks a decision's value against the type a typed caller asked for (OpenFeature's
 * getBooleanValue etc.): a mismatch becomes ERROR / TYPE_MISMATCH with no value.
 * Decisions without a value (errors, disabled flagd flags) pass through unchanged.
 */
export function expectType(decision: Decision, expected: ExpectedType): Decision {
  if (decision.value === null || matchesType(decision.value, expected)) return decision;
  const actual = Array.isArray(decision.value) ? 'array' : typeof decision.value;
  return {
    ...decision,
    value: null,
    variant: null,
    reason: 'ERROR',
    error_code: 'TYPE_MISMATCH',
    error_message: `expected a ${expected} value, the flag has a ${actual}`,
  };
}
