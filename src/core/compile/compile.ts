/**
 * The compile step: a saved definition in, a compiled definition (or every problem, with
 * paths) out. Run when a definition is loaded or saved, never per decision.
 */
import { compileConfig } from './compile-config.js';
import { compileFlagdFlag } from './compile-flagd.js';
import { compileNativeFlag } from './compile-flag.js';
import type { CompileResult } from './compile-result.js';
import { compileSurvey } from './compile-survey.js';
import type {
  BrokenDefinition,
  CompiledConfig,
  CompiledDefinition,
  CompiledFlag,
  CompiledFlagdFlag,
  CompiledSurvey,
  DefinitionKind,
} from '../evaluate/compiled.js';

export { compileConfig, compileFlagdFlag, compileSurvey };
export { referencedCohorts } from '../evaluate/snapshot.js';

// Fields only flagd's format has (a native flag refuses every one of them).
const FLAGD_FIELDS = ['state', 'defaultVariant', 'targeting', '$evaluators', 'flagSetMetadata'];

/** True when a flag is written in flagd's format (it has one of flagd's own fields). */
export function isFlagdFormat(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && FLAGD_FIELDS.some((field) => field in raw);
}

/** Compiles a flag in either format: native (PRODUCT.md 7.1) or flagd (7.4). */
export function compileFlag(raw: unknown): CompileResult<CompiledFlag | CompiledFlagdFlag> {
  return isFlagdFormat(raw) ? compileFlagdFlag(raw) : compileNativeFlag(raw);
}

/** Compiles a definition of the given kind. */
export function compileDefinition(kind: 'flag', raw: unknown): CompileResult<CompiledFlag | CompiledFlagdFlag>;
export function compileDefinition(kind: 'config', raw: unknown): CompileResult<CompiledConfig>;
export function compileDefinition(kind: 'survey', raw: unknown): CompileResult<CompiledSurvey>;
export function compileDefinition(kind: DefinitionKind, raw: unknown): CompileResult<CompiledDefinition>;
export function compileDefinition(kind: DefinitionKind, raw: unknown): CompileResult<CompiledDefinition> {
  if (kind === 'flag') return compileFlag(raw);
  if (kind === 'config') return compileConfig(raw);
  return compileSurvey(raw);
}

function readKey(raw: unknown): string {
  const key = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).key : undefined;
  return typeof key === 'string' ? key : '';
}

function readVersion(raw: unknown): number {
  const version = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).version : undefined;
  return typeof version === 'number' && Number.isInteger(version) ? version : 0;
}

/**
 * Compiles a stored definition for serving: a definition that fails to compile becomes a
 * BrokenDefinition that answers ERROR / PARSE_ERROR, so it never breaks the others.
 */
export function compileOrBroken(kind: DefinitionKind, raw: unknown): CompiledDefinition {
  const result = compileDefinition(kind, raw);
  if (result.ok) return result.def;
  const broken: BrokenDefinition = { kind, format: 'broken', key: readKey(raw), version: readVersion(raw), errors: result.errors };
  return broken;
}
