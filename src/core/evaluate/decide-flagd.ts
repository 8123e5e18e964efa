/**
 * Evaluates a flagd-format flag as flagd's Go evaluator does (open-feature/flagd
 * core/pkg/evaluator/json.go#evaluateVariant; docs/flagd-semantics.md sections 1-2):
 * - `state: "DISABLED"` -> reason DISABLED, no value, no variant;
 * - targeting absent or `{}` -> the default variant, STATIC (`"targeting": null` is evaluated);
 * - the targeting is run by flagd-logic.ts; a Go panic or a result Go cannot encode (NaN,
 *   ±Inf) -> ERROR / PARSE_ERROR;
 * - the result, written as Go's encoding/json writes it (HTML escaping, sorted keys), is
 *   `null` -> the default variant, DEFAULT; otherwise, with every `"` removed, it must name
 *   a variant -> TARGETING_MATCH, else ERROR / GENERAL;
 * - no default variant: wherever the default would be served, reason DEFAULT without value
 *   or variant (flagd's FALLBACK; OFREP answers `{key, reason: "DEFAULT", metadata}`);
 * - a variant whose value is JSON null cannot be served (flagd: TYPE_MISMATCH, which OFREP
 *   reports as GENERAL): ERROR / GENERAL.
 * Every answer carries the flag set's metadata overlaid by the flag's.
 */
import type { CompiledFlagdFlag } from './compiled.js';
import { bindFlagKey, flagdDataOf, type EvalState } from './eval-context.js';
import { goJsonEncode, GoJsonError } from './flagd-go-json.js';
import { GoPanic } from './flagd-go-values.js';
import { applyInterface } from './flagd-logic.js';
import type { ErrorCode, Reason } from './reasons.js';
import type { Decision, TraceEntry } from './types.js';

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
  decision.metadata = def.metadata;
  decision.freshness = [];
  if (trace !== null) decision.trace = trace;
  return decision;
}

function failed(def: CompiledFlagdFlag, code: ErrorCode, message: string, trace: TraceEntry[] | null): Decision {
  return record(def, def.defaultVariant, 'ERROR', trace, { code, message });
}

/** Serves `variant` with `reason`, unless its value is null (flagd cannot resolve it). */
function serve(def: CompiledFlagdFlag, variant: string, reason: Reason, trace: TraceEntry[] | null): Decision {
  if (def.variants.get(variant) === null) return failed(def, 'GENERAL', `variant ${JSON.stringify(variant)} has the value null, which flagd cannot serve`, trace);
  return record(def, variant, reason, trace);
}

/** The default variant with `reason`, or flagd's FALLBACK (DEFAULT, no value) when there is none. */
function serveDefault(def: CompiledFlagdFlag, reason: Reason, trace: TraceEntry[] | null): Decision {
  return def.defaultVariant === null ? record(def, null, 'DEFAULT', trace) : serve(def, def.defaultVariant, reason, trace);
}

function targetingTrace(def: CompiledFlagdFlag, result: TraceEntry['result'], value: unknown, why: string): TraceEntry {
  return { rule_id: 'targeting', result, cohorts: [], condition: { expression: def.targeting, result: value ?? null }, why };
}

/** Evaluates one flagd-format flag for the context in `state`. */
export function decideFlagd(def: CompiledFlagdFlag, state: EvalState): Decision {
  const trace: TraceEntry[] | null = state.explain ? [] : null;
  if (!def.enabled) return record(def, null, 'DISABLED', trace);
  if (!def.evaluated) return serveDefault(def, 'STATIC', trace);
  bindFlagKey(state, def.key);
  let result: unknown;
  let text: string;
  try {
    result = applyInterface(def.targeting, flagdDataOf(state));
    text = goJsonEncode(result);
  } catch (error) {
    if (!(error instanceof GoPanic || error instanceof GoJsonError || error instanceof RangeError)) throw error;
    const message = `targeting failed: ${error.message}`;
    trace?.push(targetingTrace(def, 'error', null, message));
    return failed(def, 'PARSE_ERROR', message, trace);
  }
  if (text === 'null') {
    trace?.push(targetingTrace(def, 'no_match', null, 'targeting returned null: default variant'));
    return serveDefault(def, 'DEFAULT', trace);
  }
  const name = text.replace(/"/g, '');
  if (!def.variants.has(name)) {
    const message = `targeting returned ${text}, which names no variant`;
    trace?.push(targetingTrace(def, 'error', result, message));
    return failed(def, 'GENERAL', message, trace);
  }
  trace?.push(targetingTrace(def, 'matched', result, `targeting returned variant ${JSON.stringify(name)}`));
  return serve(def, name, 'TARGETING_MATCH', trace);
}
