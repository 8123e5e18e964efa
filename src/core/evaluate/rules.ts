/**
 * Runs a definition's rules in order (PRODUCT.md 7.2): a rule referencing a missing,
 * building or archived cohort is skipped (neither matches nor blocks); otherwise it matches
 * when its cohort conditions, its JSON Logic condition and its rollout all hold. The first
 * match wins. Traces are built only when asked for (explain).
 */
import { bucketOf, gateInput, pickArm, splitInput } from './bucketing.js';
import type { CompiledRule } from './compiled.js';
import { OperatorAbort, runCompiled } from './logic-operators.js';
import { isTruthy } from './logic-compiler.js';
import { addFreshness, bucketByValue, type EvalState } from './eval-context.js';
import type { ErrorCode } from './reasons.js';
import type { CohortStatus, DecisionInput, FreshnessEntry, TraceCohort, TraceEntry } from './types.js';

/** The first matching rule (and split arm), or the error that stopped evaluation. */
export interface RulesOutcome {
  readonly rule: CompiledRule | null;
  /** Index of the split arm served; -1 when the rule serves one variant or nothing. */
  readonly arm: number;
  readonly errorCode: ErrorCode | null;
  readonly errorMessage: string | null;
}

const NO_MATCH: RulesOutcome = Object.freeze({ rule: null, arm: -1, errorCode: null, errorMessage: null });

/** A cohort a rule may not read: absent from the project, building, archived, or its membership unavailable. */
function unavailableCohort(rule: CompiledRule, statuses: ReadonlyMap<string, CohortStatus>): string | null {
  for (const key of rule.cohortKeys) {
    const status = statuses.get(key);
    if (status === undefined || status.state === 'building' || status.state === 'archived' || status.state === 'unavailable') return key;
  }
  return null;
}

function cohortsHold(rule: CompiledRule, members: ReadonlySet<string>): boolean {
  for (const key of rule.cohortsAll) if (!members.has(key)) return false;
  for (const key of rule.cohortsNone) if (members.has(key)) return false;
  if (rule.cohortsAny.length === 0) return true;
  for (const key of rule.cohortsAny) if (members.has(key)) return true;
  return false;
}

function traceCohorts(rule: CompiledRule, input: DecisionInput): TraceCohort[] {
  const out: TraceCohort[] = [];
  const add = (keys: readonly string[], expected: TraceCohort['expected']): void => {
    for (const key of keys) {
      out.push({ key, expected, actual: input.cohorts.has(key), state: input.cohortStatus.get(key)?.state ?? 'missing' });
    }
  };
  add(rule.cohortsAll, 'all');
  add(rule.cohortsAny, 'any');
  add(rule.cohortsNone, 'none');
  return out;
}

/** Optional trace details gathered while a rule was evaluated. */
interface TraceExtras {
  condition?: unknown;
  bucket?: number;
  threshold?: number;
  splitBucket?: number;
}

function traceEntry(rule: CompiledRule, input: DecisionInput, result: TraceEntry['result'], why: string, extras: TraceExtras = {}): TraceEntry {
  const entry: TraceEntry = { rule_id: rule.id, result, cohorts: traceCohorts(rule, input), why };
  if ('condition' in extras) {
    const value = extras.condition instanceof OperatorAbort ? null : extras.condition;
    entry.condition = { expression: rule.condition, result: value === undefined ? null : value };
  }
  if (extras.bucket !== undefined) entry.bucket = extras.bucket;
  if (extras.threshold !== undefined) entry.threshold = extras.threshold;
  if (extras.splitBucket !== undefined) entry.split_bucket = extras.splitBucket;
  return entry;
}

/** Adds the condition's result to trace details when the rule has a condition. */
function details(rule: CompiledRule, condition: unknown, extras: TraceExtras): TraceExtras {
  return rule.test === null ? extras : { condition, ...extras };
}

/**
 * Evaluates `rules` in order for the person in `state`; `salt` prefixes hash inputs.
 * Appends every cohort read to `freshness`, and one entry per rule to `trace` when given.
 * Trace arguments sit behind `trace?.`, so nothing is built for them without a trace.
 */
export function runRules(
  rules: readonly CompiledRule[],
  salt: string,
  state: EvalState,
  freshness: FreshnessEntry[],
  trace: TraceEntry[] | null,
): RulesOutcome {
  const input = state.input;
  for (const rule of rules) {
    const unavailable = unavailableCohort(rule, input.cohortStatus);
    if (unavailable !== null) {
      const status = input.cohortStatus.get(unavailable);
      if (status?.state === 'unavailable') {
        // The decision says which cohort it could not read (PRODUCT.md 12).
        addFreshness(freshness, unavailable, status);
        trace?.push(traceEntry(rule, input, 'skipped', `cohort ${JSON.stringify(unavailable)} is unavailable (its membership is not loaded): rule skipped`));
      } else {
        trace?.push(traceEntry(rule, input, 'skipped', `cohort ${JSON.stringify(unavailable)} is ${status?.state ?? 'missing'}: rule skipped`));
      }
      continue;
    }
    for (const key of rule.cohortKeys) addFreshness(freshness, key, input.cohortStatus.get(key) as CohortStatus);
    if (!cohortsHold(rule, input.cohorts)) {
      trace?.push(traceEntry(rule, input, 'no_match', 'cohort conditions do not hold'));
      continue;
    }
    let condition: unknown;
    if (rule.test !== null) {
      try {
        condition = runCompiled(rule.test, state.data);
      } catch (error) {
        const message = `rule ${JSON.stringify(rule.id)}: condition failed: ${error instanceof Error ? error.message : String(error)}`;
        trace?.push(traceEntry(rule, input, 'error', message, { condition: null }));
        return { rule: null, arm: -1, errorCode: 'GENERAL', errorMessage: message };
      }
      if (condition instanceof OperatorAbort) {
        trace?.push(traceEntry(rule, input, 'no_match', `condition: ${condition.operator} got invalid arguments`, { condition }));
        continue;
      }
      if (!isTruthy(condition)) {
        trace?.push(traceEntry(rule, input, 'no_match', 'condition is false', { condition }));
        continue;
      }
    }
    let key = input.bucketingKey;
    if (rule.needsKey) {
      if (rule.bucketBy !== null) {
        const value = bucketByValue(input.properties, rule.bucketBy);
        if (value === null) {
          trace?.push(traceEntry(rule, input, 'no_match', `bucket_by property ${JSON.stringify(rule.bucketBy)} is missing`, details(rule, condition, {})));
          continue;
        }
        key = value;
      } else if (key === '') {
        const message = `rule ${JSON.stringify(rule.id)} needs a bucketing key and the person has none`;
        trace?.push(traceEntry(rule, input, 'error', message, details(rule, condition, {})));
        return { rule: null, arm: -1, errorCode: 'TARGETING_KEY_MISSING', errorMessage: message };
      }
    }
    let bucket: number | undefined;
    if (rule.threshold !== null) {
      bucket = bucketOf(gateInput(salt, key));
      if (bucket >= rule.threshold) {
        trace?.push(traceEntry(rule, input, 'no_match', `outside the rollout: bucket ${bucket} >= ${rule.threshold}`, details(rule, condition, { bucket, threshold: rule.threshold })));
        continue;
      }
    }
    let arm = -1;
    let splitBucket: number | undefined;
    if (rule.serve?.kind === 'split') {
      splitBucket = bucketOf(splitInput(salt, key));
      arm = pickArm(splitBucket, rule.serve.uppers);
    }
    if (trace !== null) {
      const threshold = rule.threshold ?? undefined;
      trace.push(traceEntry(rule, input, 'matched', arm >= 0 ? `matched; split arm ${arm}` : 'matched', details(rule, condition, { bucket, threshold, splitBucket })));
    }
    return { rule, arm, errorCode: null, errorMessage: null };
  }
  return NO_MATCH;
}
