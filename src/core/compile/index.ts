/**
 * Compilation: saved definitions (PRODUCT.md 7.1, 7.4) validated with zod (and config values
 * with ajv against their JSON Schema), checked for JSON Logic operators, and compiled into the
 * forms core/evaluate runs on. Run when a definition is loaded or saved, never per decision.
 */
export type { CompileIssue } from './paths.js';
export { formatPath, joinPath } from './paths.js';
export type { CompileResult } from './compile-result.js';
export type { ConfigDefinition, FlagDefinition, FlagdFlagDefinition, SurveyDefinition } from './definitions.js';
export { configSchema, flagSchema, flagdFlagSchema, flagdKeySchema, keySchema, surveySchema } from './definitions.js';
export { validateLogic } from './logic-validator.js';
export { runLogic } from './reference-logic.js';
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
