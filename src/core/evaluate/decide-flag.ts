/**
 * Evaluates a native flag or config (PRODUCT.md 7.2): disabled -> off variant (DISABLED);
 * first matching rule -> its variant (TARGETING_MATCH) or split arm (SPLIT); no match ->
 * default variant (DEFAULT, or STATIC when there are no rules); anything broken -> default
 * variant with ERROR and an error code. Also answers for broken and flagd definitions.
 */
import { SUPPORTED_HASH_VERSIONS } from './bucketing.js';
import type { CompiledConfig, CompiledFlag, FlagLike } from './compiled.js';
import { decideFlagd } from './decide-flagd.js';
import { errorDecision } from './decision-records.js';
import { bindFlagKey, type EvalState } from './eval-context.js';
import type { ErrorCode, Reason } from './reasons.js';
import { runRules } from './rules.js';
import type { Decision, FreshnessEntry, TraceEntry } from './types.js';

/** An error to attach to a decision. */
interface Failure {
  code: ErrorCode;
  message: string;
}

/** Builds a decision with its fields in reading order. */
function record(
  def: CompiledFlag | CompiledConfig,
  variant: string,
  reason: Reason,
  freshness: FreshnessEntry[],
  trace: TraceEntry[] | null,
  ruleId?: string,
  failure?: Failure,
): Decision {
  const found = def.variants.get(variant);
  // The remaining required fields are assigned below, in the order they read best in JSON.
  const decision: Decision = { key: def.key, value: found?.value ?? null, variant, reason } as Decision;
  if (ruleId !== undefined) decision.rule_id = ruleId;
  if (failure !== undefined) {
    decision.error_code = failure.code;
    decision.error_message = failure.message;
  }
  decision.version = def.version;
  if (found?.payload !== undefined) decision.payload = found.payload;
  decision.freshness = freshness;
  if (trace !== null) decision.trace = trace;
  return decision;
}

function failed(def: CompiledFlag | CompiledConfig, code: ErrorCode, message: string, freshness: FreshnessEntry[], trace: TraceEntry[] | null): Decision {
  return record(def, def.defaultVariant, 'ERROR', freshness, trace, undefined, { code, message });
}

function decideNative(def: CompiledFlag | CompiledConfig, state: EvalState): Decision {
  const trace: TraceEntry[] | null = state.explain ? [] : null;
  const freshness: FreshnessEntry[] = [];
  if (!SUPPORTED_HASH_VERSIONS.includes(def.hashVersion)) {
    return failed(def, 'PARSE_ERROR', `unsupported hash_version ${def.hashVersion}`, freshness, trace);
  }
  if (!def.enabled) return record(def, def.offVariant, 'DISABLED', freshness, trace);
  if (def.rules.length === 0) return record(def, def.defaultVariant, 'STATIC', freshness, trace);
  bindFlagKey(state, def.key);
  const outcome = runRules(def.rules, def.salt, state, freshness, trace);
  if (outcome.errorCode !== null) return failed(def, outcome.errorCode, outcome.errorMessage ?? '', freshness, trace);
  const rule = outcome.rule;
  if (rule === null || rule.serve === null) return record(def, def.defaultVariant, 'DEFAULT', freshness, trace);
  const split = rule.serve.kind === 'split';
  const variant = rule.serve.kind === 'split' ? rule.serve.variants[outcome.arm] : rule.serve.variant;
  if (!def.variants.has(variant)) {
    return failed(def, 'GENERAL', `rule ${JSON.stringify(rule.id)} serves unknown variant ${JSON.stringify(variant)}`, freshness, trace);
  }
  return record(def, variant, split ? 'SPLIT' : 'TARGETING_MATCH', freshness, trace, rule.id);
}

/** Decides one flag or config key for the person in `state`; never throws. */
export function decideFlagLike(def: FlagLike, state: EvalState): Decision {
  if (state.invalid !== null) return errorDecision(def.key, 'INVALID_CONTEXT', state.invalid, def.version);
  if (def.format === 'broken') {
    return errorDecision(def.key, 'PARSE_ERROR', def.errors.map((e) => `${e.path}: ${e.message}`).join('; '), def.version);
  }
  try {
    return def.format === 'flagd' ? decideFlagd(def, state) : decideNative(def, state);
  } catch (error) {
    // One broken definition never breaks the others.
    return errorDecision(def.key, 'GENERAL', error instanceof Error ? error.message : String(error), def.version);
  }
}
