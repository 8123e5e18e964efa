/**
 * Evaluation: compiled definitions + identity + membership + properties + `now` in,
 * decisions out (PRODUCT.md 3, 5, 7.2). Pure and synchronous; no I/O, clock or environment,
 * and no validation library (zod, ajv) or json-logic-js in its import graph, so a client that
 * only evaluates stays small. Enter through here (or core/index.ts), never by deep paths.
 */
export type { ErrorCode, Reason } from './reasons.js';
export { ERROR_CODES, REASONS, isErrorCode, isReason } from './reasons.js';

export type {
  CohortState,
  CohortStatus,
  DecideAllResult,
  Decision,
  DecisionInput,
  FreshnessEntry,
  IneligibleBecause,
  JsonObject,
  JsonValue,
  SurveyContent,
  SurveyDecision,
  SurveyHistory,
  SurveyOffer,
  TraceCohort,
  TraceCohortState,
  TraceEntry,
} from './types.js';

export type {
  BrokenDefinition,
  CompileIssue,
  CompiledConfig,
  CompiledDefinition,
  CompiledFlag,
  CompiledFlagdFlag,
  CompiledRule,
  CompiledServe,
  CompiledSurvey,
  CompiledVariant,
  DefinitionKind,
  FlagLike,
  Snapshot,
} from './compiled.js';

export { BUCKETS, HASH_VERSION, SUPPORTED_HASH_VERSIONS, bucketOf, fractionalBucket, gateInput, pickArm, rolloutThreshold, splitInput, splitUpperBounds } from './bucketing.js';
export { murmurhash3 } from './murmurhash.js';

export { CUSTOM_OPERATORS, KNOWN_OPERATORS, OperatorAbort, runCompiled } from './logic-operators.js';
export type { CompiledLogic } from './logic-compiler.js';
export { compileLogic, isTruthy } from './logic-compiler.js';
export { endsWith } from './operators/ends-with.js';
export { fractional } from './operators/fractional.js';
export { semVer, parseSemVer, compareSemVer } from './operators/sem-ver.js';
export { startsWith } from './operators/starts-with.js';

// The JSON Logic dialect of flagd-format flags (flagd's Go evaluator: docs/flagd-semantics.md).
export { applyInterface as applyFlagdLogic, FLAGD_LOGIC_OPERATORS } from './flagd-logic.js';
export { flagdFractional } from './flagd-operators.js';
export { GoPanic, formatFloatF, formatFloatV, parseGoFloat } from './flagd-go-values.js';
export { GoJsonError, goJsonEncode } from './flagd-go-json.js';

export { createSnapshot, referencedCohorts } from './snapshot.js';
export { decideAll, decideFlag, evaluate } from './decide.js';
export type { ExpectedType } from './decision-records.js';
export { errorDecision, expectType, withReason } from './decision-records.js';
export type { Remembered } from './degraded.js';
export { defaultsFor, rememberOf, staleFrom } from './degraded.js';
