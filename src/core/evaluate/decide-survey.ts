/**
 * Survey eligibility (PRODUCT.md 7.1): enabled, inside its schedule, not answered by the
 * person, under its response limit, past the wait period since the person last saw a survey,
 * and either rule-less or matched by a rule (rules skip unavailable cohorts like flags do).
 */
import { SUPPORTED_HASH_VERSIONS } from './bucketing.js';
import type { BrokenDefinition, CompiledSurvey } from './compiled.js';
import { bindFlagKey, type EvalState } from './eval-context.js';
import type { ErrorCode, Reason } from './reasons.js';
import { runRules } from './rules.js';
import type { FreshnessEntry, IneligibleBecause, SurveyDecision, TraceEntry } from './types.js';

function ineligible(
  def: CompiledSurvey | BrokenDefinition,
  reason: Reason,
  because: IneligibleBecause,
  freshness: FreshnessEntry[],
  trace: TraceEntry[] | null,
): SurveyDecision {
  const decision: SurveyDecision = { key: def.key, eligible: false, reason, ineligible_because: because, version: def.version, freshness };
  if (trace !== null) decision.trace = trace;
  return decision;
}

function failed(def: CompiledSurvey | BrokenDefinition, code: ErrorCode, message: string, trace: TraceEntry[] | null): SurveyDecision {
  const decision = ineligible(def, 'ERROR', 'error', [], trace);
  decision.error_code = code;
  decision.error_message = message;
  return decision;
}

/** Why a person may not see the survey regardless of rules, or null. */
function blockedBy(def: CompiledSurvey, state: EvalState): IneligibleBecause | null {
  const { now, surveyHistory } = state.input;
  if ((def.start !== null && now < def.start) || (def.end !== null && now >= def.end)) return 'outside_schedule';
  if (surveyHistory?.answered.has(def.key) === true) return 'answered';
  if (def.responseLimit !== null && (surveyHistory?.responses?.get(def.key) ?? 0) >= def.responseLimit) return 'response_limit';
  const lastShownAt = surveyHistory?.lastShownAt ?? null;
  if (def.waitPeriodMs !== null && lastShownAt !== null && now - lastShownAt < def.waitPeriodMs) return 'wait_period';
  return null;
}

/** Decides whether the person in `state` may be shown `def`. */
export function decideSurvey(def: CompiledSurvey | BrokenDefinition, state: EvalState): SurveyDecision {
  const trace: TraceEntry[] | null = state.explain ? [] : null;
  if (state.invalid !== null) return failed(def, 'INVALID_CONTEXT', state.invalid, trace);
  if (def.format === 'broken') return failed(def, 'PARSE_ERROR', def.errors.map((e) => `${e.path}: ${e.message}`).join('; '), trace);
  if (!SUPPORTED_HASH_VERSIONS.includes(def.hashVersion)) {
    return failed(def, 'PARSE_ERROR', `unsupported hash_version ${def.hashVersion}`, trace);
  }
  if (!def.enabled) return ineligible(def, 'DISABLED', 'disabled', [], trace);
  const blocked = blockedBy(def, state);
  if (blocked !== null) return ineligible(def, 'DEFAULT', blocked, [], trace);
  const freshness: FreshnessEntry[] = [];
  let reason: Reason = 'STATIC';
  let ruleId: string | undefined;
  if (def.rules.length > 0) {
    bindFlagKey(state, def.key);
    const outcome = runRules(def.rules, def.salt, state, freshness, trace);
    if (outcome.errorCode !== null) return failed(def, outcome.errorCode, outcome.errorMessage ?? '', trace);
    if (outcome.rule === null) return ineligible(def, 'DEFAULT', 'no_rule_matched', freshness, trace);
    reason = 'TARGETING_MATCH';
    ruleId = outcome.rule.id;
  }
  const decision: SurveyDecision = { key: def.key, eligible: true, reason, version: def.version, freshness, survey: def.content };
  if (ruleId !== undefined) decision.rule_id = ruleId;
  if (trace !== null) decision.trace = trace;
  return decision;
}
