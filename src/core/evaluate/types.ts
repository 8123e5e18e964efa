/**
 * Inputs and outputs of the pure decision core.
 * Compiled definitions live in compiled.ts; raw (saved) definitions in definitions.ts.
 * Times are unix milliseconds unless a name says otherwise.
 */
import type { ErrorCode, Reason } from './reasons.js';

/** Any JSON value; definitions, properties and decision values are plain JSON. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object, e.g. a person's properties. */
export type JsonObject = { [key: string]: JsonValue };

/** Lifecycle state of a cohort (PRODUCT.md 6.2); decides whether rules may read it. */
export type CohortState = 'building' | 'active' | 'paused' | 'archived';

/**
 * How a decision may read a cohort: its lifecycle state, or `unavailable` when its
 * materialized membership is missing (Redis lost it): never read as "not a member".
 */
export type CohortReadState = CohortState | 'unavailable';

/** A cohort's state and when its membership was computed (ISO 8601, null if never). */
export interface CohortStatus {
  readonly state: CohortReadState;
  readonly asOf: string | null;
}

/** What the SDK knows about a person's survey history; gathered by services before deciding. */
export interface SurveyHistory {
  /** Survey keys the person answered (`survey sent` events with `$survey_key`). */
  readonly answered: ReadonlySet<string>;
  /** When the person was last shown any survey (unix ms), for `wait_period_days`. */
  readonly lastShownAt?: number | null;
  /** Total responses recorded per survey key (all persons), for `response_limit`. */
  readonly responses?: ReadonlyMap<string, number>;
}

/**
 * Everything one decision needs, gathered before the core runs (no I/O inside).
 * `properties` are the stored person properties overlaid by the request's properties.
 */
export interface DecisionInput {
  /**
   * The distinct_id the client asked with; exposed as `targetingKey` and `$distinct_id`.
   * `''` with `keyless` set: the request identifies nobody.
   */
  readonly distinctId: string;
  /**
   * Set when the request has no usable distinct_id (an OFREP context whose `targetingKey` is
   * absent, not a string, `""`, a placeholder or too long): nobody is identified, no person
   * nor membership was read, `$distinct_id` is absent, and `targetingKey` is exactly what the
   * client sent (absent when `targetingKey` is undefined), as flagd sees it. Native rules
   * that need a bucketing key answer TARGETING_KEY_MISSING.
   */
  readonly keyless?: { readonly targetingKey?: JsonValue };
  /** The person's bucketing key (PRODUCT.md 5); input of every rollout and split hash. */
  readonly bucketingKey: string;
  /** Stored person properties overlaid by request properties; a flat JSON object. */
  readonly properties: Readonly<Record<string, unknown>>;
  /** Keys of the cohorts the person is a member of. */
  readonly cohorts: ReadonlySet<string>;
  /** State of every cohort of the project; a key absent here is a missing cohort. */
  readonly cohortStatus: ReadonlyMap<string, CohortStatus>;
  /** Evaluation time, unix ms; `$flagd.timestamp` is `floor(now / 1000)` seconds. */
  readonly now: number;
  /** Attach a per-rule trace to every decision (admin only; slower). */
  readonly explain?: boolean;
  /** The person's survey history; absent means "nothing answered, never shown". */
  readonly surveyHistory?: SurveyHistory;
  /** Decide only these keys (all kinds); absent means every definition. */
  readonly only?: ReadonlySet<string>;
}

/** State of a cohort as reported in a trace; `missing` when the project has no such cohort. */
export type TraceCohortState = CohortReadState | 'missing';

/** One cohort a decision read: its state and when its membership was computed. */
export interface FreshnessEntry {
  cohort: string;
  /** `unavailable`: the membership was missing, and rules reading it were skipped */
  state: CohortReadState;
  /** When the membership that was read was computed (ISO 8601), null if unknown. */
  as_of: string | null;
}

/** One cohort condition of a rule, as checked. `actual` is the person's membership. */
export interface TraceCohort {
  key: string;
  expected: 'all' | 'any' | 'none';
  actual: boolean;
  state: TraceCohortState;
}

/** How one rule was evaluated; present only with `explain`. */
export interface TraceEntry {
  rule_id: string;
  result: 'matched' | 'no_match' | 'skipped' | 'error';
  cohorts: TraceCohort[];
  /**
   * The rule's JSON Logic condition: the expression, its result, and the actual value of every
   * property it reads (`var` paths, a missing property as null): what it compared.
   */
  condition?: { expression: unknown; result: unknown; values?: Record<string, unknown> };
  /** Rollout bucket in [0, 100000) and the threshold it must be below. */
  bucket?: number;
  threshold?: number;
  /** Split bucket in [0, 100000) (independent hash input from the rollout gate). */
  split_bucket?: number;
  why: string;
}

/**
 * The result for one flag or config key (PRODUCT.md 7.3).
 * `value` and `variant` are null when there is none to give (a disabled flagd flag,
 * a definition that failed to compile); HTTP layers omit them then, as OFREP does.
 */
export interface Decision {
  key: string;
  value: JsonValue;
  variant: string | null;
  reason: Reason;
  rule_id?: string;
  error_code?: ErrorCode;
  error_message?: string;
  version: number;
  payload?: JsonValue;
  /**
   * flagd-format flags only: the flag set's metadata overlaid by the flag's, exactly as flagd
   * answers it (OFREP passes it through); Switchboard's own fields (`version`) stay outside it.
   */
  metadata?: Readonly<Record<string, JsonValue>>;
  freshness: FreshnessEntry[];
  trace?: TraceEntry[];
}

/** Why a survey is not offered; present on ineligible survey decisions. */
export type IneligibleBecause =
  | 'disabled'
  | 'outside_schedule'
  | 'answered'
  | 'response_limit'
  | 'wait_period'
  | 'no_rule_matched'
  | 'error';

/** What an SDK needs to show a survey: its content and when to trigger it. */
export interface SurveyContent {
  key: string;
  name: string;
  questions: JsonValue[];
  triggers: { events: string[]; url_pattern: string | null; delay_ms: number };
}

/** The eligibility decision for one survey; `survey` is set only when eligible. */
export interface SurveyDecision {
  key: string;
  eligible: boolean;
  reason: Reason;
  rule_id?: string;
  ineligible_because?: IneligibleBecause;
  error_code?: ErrorCode;
  error_message?: string;
  version: number;
  freshness: FreshnessEntry[];
  survey?: SurveyContent;
  trace?: TraceEntry[];
}

/** An eligible survey as returned in the handshake: content plus the decision fields. */
export type SurveyOffer = SurveyContent & {
  reason: Reason;
  rule_id?: string;
  version: number;
  freshness: FreshnessEntry[];
  trace?: TraceEntry[];
};

/** Every decision for one person from one snapshot (the body of a handshake). */
export interface DecideAllResult {
  flags: Record<string, Decision>;
  configs: Record<string, Decision>;
  surveys: SurveyOffer[];
  /** Only with `explain`: surveys that were not offered, and why. */
  ineligible_surveys?: SurveyDecision[];
}
