/**
 * The pure decision core's entry points: definitions + identity + membership + properties +
 * `now` in, decisions out. Synchronous, no I/O, no clock; never throws for bad data.
 */
import type { BrokenDefinition, CompiledDefinition, CompiledSurvey, FlagLike, Snapshot } from './compiled.js';
import { decideFlagLike } from './decide-flag.js';
import { decideSurvey } from './decide-survey.js';
import { errorDecision } from './decision-records.js';
import { createEvalState } from './eval-context.js';
import type { DecideAllResult, Decision, DecisionInput, SurveyDecision, SurveyOffer } from './types.js';

/**
 * Evaluates one definition for one person. Flags and configs give a Decision; surveys give
 * a SurveyDecision (eligible or not, and why).
 */
export function evaluate(def: CompiledSurvey, input: DecisionInput): SurveyDecision;
export function evaluate(def: FlagLike, input: DecisionInput): Decision;
export function evaluate(def: CompiledDefinition, input: DecisionInput): Decision | SurveyDecision;
export function evaluate(def: CompiledDefinition, input: DecisionInput): Decision | SurveyDecision {
  const state = createEvalState(input);
  if (def.kind === 'survey') return decideSurvey(def as CompiledSurvey | BrokenDefinition, state);
  return decideFlagLike(def as FlagLike, state);
}

function toOffer(decision: SurveyDecision): SurveyOffer | null {
  const content = decision.survey;
  if (!decision.eligible || content === undefined) return null;
  const offer: SurveyOffer = {
    key: content.key,
    name: content.name,
    questions: content.questions,
    triggers: content.triggers,
    reason: decision.reason,
    version: decision.version,
    freshness: decision.freshness,
  };
  if (decision.rule_id !== undefined) offer.rule_id = decision.rule_id;
  if (decision.trace !== undefined) offer.trace = decision.trace;
  return offer;
}

/**
 * Decides every flag, config and survey of `snapshot` (or those in `input.only`) for one
 * person: the handshake. Eligible surveys come back ready to show; ineligible ones only
 * with `explain`, in `ineligible_surveys`.
 */
export function decideAll(snapshot: Snapshot, input: DecisionInput): DecideAllResult {
  const state = createEvalState(input);
  const only = state.invalid === null ? input.only : undefined;
  const flags: Record<string, Decision> = {};
  const configs: Record<string, Decision> = {};
  const surveys: SurveyOffer[] = [];
  const result: DecideAllResult = { flags, configs, surveys };
  for (const def of snapshot.flags) {
    if (only === undefined || only.has(def.key)) flags[def.key] = decideFlagLike(def, state);
  }
  for (const def of snapshot.configs) {
    if (only === undefined || only.has(def.key)) configs[def.key] = decideFlagLike(def, state);
  }
  for (const def of snapshot.surveys) {
    if (only !== undefined && !only.has(def.key)) continue;
    const decision = decideSurvey(def, state);
    const offer = toOffer(decision);
    if (offer !== null) surveys.push(offer);
    else if (state.explain) (result.ineligible_surveys ??= []).push(decision);
  }
  return result;
}

/**
 * Decides one flag (or, failing that, config) key, as an OFREP single-flag evaluation does.
 * A null snapshot (definitions not loaded yet) answers PROVIDER_NOT_READY; an unknown key
 * FLAG_NOT_FOUND.
 */
export function decideFlag(snapshot: Snapshot | null, key: string, input: DecisionInput): Decision {
  if (snapshot === null) return errorDecision(key, 'PROVIDER_NOT_READY', 'definitions are not loaded yet');
  const def = snapshot.flags.find((d) => d.key === key) ?? snapshot.configs.find((d) => d.key === key);
  if (def === undefined) return errorDecision(key, 'FLAG_NOT_FOUND', `no flag ${JSON.stringify(key)}`);
  return decideFlagLike(def, createEvalState(input));
}
