/**
 * Evaluates a flagd-format flag as flagd (Go) does (flagd.dev/reference/flag-definitions,
 * flagd-testbed targeting.feature):
 * - state DISABLED -> reason DISABLED, no value, no variant;
 * - no targeting (absent or `{}`) -> default variant, STATIC;
 * - targeting returns null, or a custom operator refuses its arguments -> default, DEFAULT;
 * - targeting returns a variant name (booleans and numbers as their JSON text) -> TARGETING_MATCH;
 * - any other result -> ERROR / GENERAL; a failing expression -> ERROR / PARSE_ERROR.
 */
import type { CompiledFlagdFlag } from './compiled.js';
import { OperatorAbort, runCompiled } from './logic-operators.js';
import { bindFlagKey, type EvalState } from './eval-context.js';
import type { ErrorCode, Reason } from './reasons.js';
import type { Decision, TraceEntry } from './types.js';

/** The variant name a targeting result designates (flagd marshals it to JSON, unquoted). */
function variantName(result: unknown): string {
  if (typeof result === 'string') return result;
  return JSON.stringify(result).replace(/"/g, '');
}

/** Builds a decision with its fields in reading order. */
function record(def: CompiledFlagdFlag, variant: string | null, reason: Reason, trace: TraceEntry[] | null, failure?: { code: ErrorCode; message: string }): Decision {
  const value = variant === null ? null : (def.variants.get(variant) ?? null);
  // The remaining required fields are assigned below, in the order they read best in JSON.
  const decision: Decision = { key: def.key, value, variant, reason } as Decision;
  if (failure !== undefined) {
    decision.error_code = failure.code;
    decision.error_message = failure.message;
  }
  decision.version = def.version;
  if (Object.keys(def.metadata).length > 0) decision.metadata = def.metadata;
  decision.freshness = [];
  if (trace !== null) decision.trace = trace;
  return decision;
}

function failed(def: CompiledFlagdFlag, code: ErrorCode, message: string, trace: TraceEntry[] | null): Decision {
  return record(def, def.defaultVariant, 'ERROR', trace, { code, message });
}

function targetingTrace(def: CompiledFlagdFlag, result: TraceEntry['result'], value: unknown, why: string): TraceEntry {
  return { rule_id: 'targeting', result, cohorts: [], condition: { expression: def.targeting, result: value ?? null }, why };
}

/** Evaluates one flagd-format flag for the person in `state`. */
export function decideFlagd(def: CompiledFlagdFlag, state: EvalState): Decision {
  const trace: TraceEntry[] | null = state.explain ? [] : null;
  if (!def.enabled) return record(def, null, 'DISABLED', trace);
  if (def.test === null) return record(def, def.defaultVariant, 'STATIC', trace);
  bindFlagKey(state, def.key);
  let result: unknown;
  try {
    result = runCompiled(def.test, state.data);
  } catch (error) {
    const message = `targeting failed: ${error instanceof Error ? error.message : String(error)}`;
    trace?.push(targetingTrace(def, 'error', null, message));
    return failed(def, 'PARSE_ERROR', message, trace);
  }
  if (result instanceof OperatorAbort) {
    trace?.push(targetingTrace(def, 'no_match', null, `${result.operator} got invalid arguments: default variant`));
    return record(def, def.defaultVariant, 'DEFAULT', trace);
  }
  if (result === null || result === undefined) {
    trace?.push(targetingTrace(def, 'no_match', null, 'targeting returned null: default variant'));
    return record(def, def.defaultVariant, 'DEFAULT', trace);
  }
  const name = variantName(result);
  if (!def.variants.has(name)) {
    const message = `targeting returned ${JSON.stringify(result)}, which is not a variant`;
    trace?.push(targetingTrace(def, 'error', result, message));
    return failed(def, 'GENERAL', message, trace);
  }
  trace?.push(targetingTrace(def, 'matched', result, `targeting returned variant ${JSON.stringify(name)}`));
  return record(def, name, 'TARGETING_MATCH', trace);
}
