/**
 * Public API of the pure decision core (PRODUCT.md 3, 5, 7). Nothing here does I/O, reads
 * the clock or the environment; the SDK can reuse it as is.
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

export { BUCKETS, HASH_VERSION, SUPPORTED_HASH_VERSIONS, bucketOf, gateInput, rolloutThreshold, splitInput } from './bucketing.js';
export { murmurhash3 } from './murmurhash.js';

export { CUSTOM_OPERATORS, KNOWN_OPERATORS, OperatorAbort, runCompiled, runLogic } from './conditions.js';
export type { CompiledLogic } from './logic-compiler.js';
export { compileLogic, isTruthy } from './logic-compiler.js';
export { validateLogic } from './logic-validator.js';
export { endsWith } from './operators/ends-with.js';
export { fractional } from './operators/fractional.js';
export { semVer, parseSemVer, compareSemVer } from './operators/sem-ver.js';
export { startsWith } from './operators/starts-with.js';

export type { CompileIssue } from './paths.js';
export type { CompileResult } from './compile-result.js';
export type { ConfigDefinition, FlagDefinition, FlagdFlagDefinition, SurveyDefinition } from './definitions.js';
export { configSchema, flagSchema, flagdFlagSchema, surveySchema } from './definitions.js';
export {
  compileConfig,
  compileDefinition,
  compileFlag,
  compileFlagdFlag,
  compileOrBroken,
  compileSurvey,
  isFlagdFormat,
  referencedCohorts,
} from './compile.js';
export { createSnapshot } from './snapshot.js';

export { decideAll, decideFlag, evaluate } from './decide.js';
export type { ExpectedType } from './decision-records.js';
export { errorDecision, expectType, withReason } from './decision-records.js';
