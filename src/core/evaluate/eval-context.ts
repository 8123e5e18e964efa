/**
 * Per-handshake evaluation state: the flat JSON Logic context is built once per person and
 * only `$flagd.flagKey` changes between definitions (evaluation is synchronous, so one
 * mutable object is safe and saves a copy of the properties per definition).
 */
import type { CohortStatus, DecisionInput, FreshnessEntry } from './types.js';

/** The JSON Logic context and what every definition's evaluation shares. */
export interface EvalState {
  readonly input: DecisionInput;
  /** properties + `targetingKey` + `$distinct_id` + `$flagd` (flat, null prototype). */
  readonly data: Record<string, unknown>;
  /** `$flagd` of the context: the key being evaluated and the time in unix seconds. */
  readonly flagd: { flagKey: string; timestamp: number };
  readonly explain: boolean;
  /** Why the input cannot be evaluated (INVALID_CONTEXT), or null. */
  readonly invalid: string | null;
  /** The context flagd-format flags see, built on first use (flagdDataOf). */
  flagdData: Record<string, unknown> | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Describes what is wrong with an input, or null when it can be evaluated. */
function checkInput(input: DecisionInput): string | null {
  if (!isRecord(input)) return 'input must be an object';
  if (typeof input.distinctId !== 'string') return 'distinctId must be a string';
  if (typeof input.bucketingKey !== 'string') return 'bucketingKey must be a string';
  if (!isRecord(input.properties)) return 'properties must be a JSON object';
  if (typeof input.now !== 'number' || !Number.isFinite(input.now)) return 'now must be unix ms';
  if (typeof input.cohorts?.has !== 'function') return 'cohorts must be a set of cohort keys';
  if (typeof input.cohortStatus?.get !== 'function') return 'cohortStatus must be a map of cohort states';
  if (input.keyless !== undefined && !isRecord(input.keyless)) return 'keyless must be an object';
  return null;
}

/**
 * Builds the evaluation state for one person. Reserved keys (`targetingKey`,
 * `$distinct_id`, `$flagd`) override properties of the same name. A keyless input has no
 * `$distinct_id` and the `targetingKey` the client sent, if any.
 */
export function createEvalState(input: DecisionInput): EvalState {
  const invalid = checkInput(input);
  const data: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const flagd = { flagKey: '', timestamp: 0 };
  if (invalid === null) {
    const properties = input.properties;
    for (const key of Object.keys(properties)) data[key] = properties[key];
    setTargetingKey(data, input);
    if (input.keyless === undefined) data.$distinct_id = input.distinctId;
    else delete data.$distinct_id;
    flagd.timestamp = Math.floor(input.now / 1000);
    data.$flagd = flagd;
  }
  return { input, data, flagd, explain: invalid === null && input.explain === true, invalid, flagdData: null };
}

/** `targetingKey`: the distinct_id, or for a keyless input what the client sent (absent if nothing). */
function setTargetingKey(data: Record<string, unknown>, input: DecisionInput): void {
  const keyless = input.keyless;
  if (keyless === undefined) data.targetingKey = input.distinctId;
  else if (keyless.targetingKey !== undefined) data.targetingKey = keyless.targetingKey;
  else delete data.targetingKey;
}

/**
 * The context of flagd-format flags (flagd's `flagdContext` + `setFlagdProperties`): the
 * properties, `targetingKey` and `$flagd` (replacing any `$flagd` sent), and no
 * `$distinct_id`, which flagd's Go evaluator never sees. Built once per state.
 */
export function flagdDataOf(state: EvalState): Record<string, unknown> {
  if (state.flagdData !== null) return state.flagdData;
  const data: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const properties = state.input.properties;
  for (const key of Object.keys(properties)) data[key] = properties[key];
  setTargetingKey(data, state.input);
  data.$flagd = state.flagd;
  state.flagdData = data;
  return data;
}

/** Points `$flagd.flagKey` at the definition about to be evaluated. */
export function bindFlagKey(state: EvalState, key: string): void {
  state.flagd.flagKey = key;
}

/** Records that a decision read a cohort (once per cohort). */
export function addFreshness(freshness: FreshnessEntry[], cohort: string, status: CohortStatus): void {
  for (const entry of freshness) if (entry.cohort === cohort) return;
  freshness.push({ cohort, state: status.state, as_of: status.asOf });
}

/**
 * The bucketing unit named by a rule's `bucket_by`: the property's value as a string
 * (strings and finite numbers), or null when it is missing or of another type.
 */
export function bucketByValue(properties: Readonly<Record<string, unknown>>, name: string): string | null {
  if (!Object.hasOwn(properties, name)) return null;
  const value = properties[name];
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
