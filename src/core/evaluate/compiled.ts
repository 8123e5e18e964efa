/**
 * Compiled definitions: what evaluation runs on. Everything that can be computed once
 * (rollout thresholds, cumulative split bounds, hash-input prefixes, validated JSON Logic,
 * cohort key lists) is computed by compile.ts so the decision loop only looks things up.
 */
import type { CompiledLogic } from './logic-compiler.js';
import type { JsonValue, SurveyContent } from './types.js';

/** The three decision kinds (PRODUCT.md 2). */
export type DefinitionKind = 'flag' | 'config' | 'survey';

/** What a matching rule serves: one variant, or a split over variants. */
export type CompiledServe =
  | { readonly kind: 'variant'; readonly variant: string }
  | {
      readonly kind: 'split';
      readonly variants: readonly string[];
      /** Cumulative upper bounds in buckets; arm i owns [uppers[i-1], uppers[i]). */
      readonly uppers: readonly number[];
    };

/** One rule, ready to evaluate. */
export interface CompiledRule {
  readonly id: string;
  readonly cohortsAll: readonly string[];
  readonly cohortsAny: readonly string[];
  readonly cohortsNone: readonly string[];
  /** Every cohort the rule references (unique); any unavailable one skips the rule. */
  readonly cohortKeys: readonly string[];
  /** The rule's JSON Logic as written (shown in traces); undefined when it has none. */
  readonly condition: unknown;
  /** The condition pre-compiled; null when the rule has none. */
  readonly test: CompiledLogic | null;
  /** The literal `var` paths the condition reads, for traces (what it compared). */
  readonly conditionVars: readonly string[];
  /** Gate bucket must be below this; null means 100 % (no gate hash). */
  readonly threshold: number | null;
  /** Property whose value replaces the bucketing key; null for the person's key. */
  readonly bucketBy: string | null;
  /** True when the rule hashes (rollout, split or bucket_by). */
  readonly needsKey: boolean;
  /** What the rule serves; null for survey rules (a match means eligible). */
  readonly serve: CompiledServe | null;
}

/** A named value of a flag or config. */
export interface CompiledVariant {
  readonly value: JsonValue;
  readonly payload?: JsonValue;
}

interface CompiledVariantsBase {
  readonly format: 'native';
  readonly key: string;
  readonly version: number;
  readonly enabled: boolean;
  readonly variants: ReadonlyMap<string, CompiledVariant>;
  readonly defaultVariant: string;
  readonly offVariant: string;
  readonly salt: string;
  readonly hashVersion: number;
  readonly rules: readonly CompiledRule[];
}

/** A native flag (boolean or multivariate). */
export interface CompiledFlag extends CompiledVariantsBase {
  readonly kind: 'flag';
  readonly flagType: 'boolean' | 'multivariate';
}

/**
 * A config; its values become variants: `default`, `<rule id>` for a rule's value and
 * `<rule id>[<arm>]` for split arms, so decisions name what was served.
 */
export interface CompiledConfig extends CompiledVariantsBase {
  readonly kind: 'config';
}

/**
 * A flag in flagd format (PRODUCT.md 7.4), evaluated as flagd's Go evaluator does
 * (decide-flagd.ts, flagd-logic.ts): `targeting` has its `$ref`s resolved.
 */
export interface CompiledFlagdFlag {
  readonly kind: 'flag';
  readonly format: 'flagd';
  readonly key: string;
  readonly version: number;
  /** false only for `state: "DISABLED"` (any other state, or none, is enabled) */
  readonly enabled: boolean;
  /** variant values of any JSON type (a flag may mix types, as flagd allows) */
  readonly variants: ReadonlyMap<string, JsonValue>;
  /** null when the flag has none: answers then carry no value (the caller's code default) */
  readonly defaultVariant: string | null;
  /** false when the targeting is absent or `{}` (reason STATIC); `null` is evaluated */
  readonly evaluated: boolean;
  readonly targeting: unknown;
  /** the flag set's metadata overlaid by the flag's (null values dropped), on every answer */
  readonly metadata: Readonly<Record<string, JsonValue>>;
  /** the flag set's metadata as stored with the flag (`flagSetMetadata`), for bulk answers */
  readonly flagSetMetadata: Readonly<Record<string, JsonValue>> | null;
}

/** A survey, with its schedule in unix ms and its wait period in ms. */
export interface CompiledSurvey {
  readonly kind: 'survey';
  readonly format: 'native';
  readonly key: string;
  readonly version: number;
  readonly name: string;
  readonly enabled: boolean;
  readonly questions: readonly JsonValue[];
  readonly triggers: { readonly events: readonly string[]; readonly url_pattern: string | null; readonly delay_ms: number };
  readonly start: number | null;
  readonly end: number | null;
  readonly responseLimit: number | null;
  readonly waitPeriodMs: number | null;
  readonly salt: string;
  readonly hashVersion: number;
  readonly rules: readonly CompiledRule[];
  /** What an SDK needs to show the survey, built once and shared by every offer. */
  readonly content: SurveyContent;
}

/** One problem found when compiling a definition, located by path (`rules[2].serve.split[1].weight`). */
export interface CompileIssue {
  path: string;
  message: string;
}

/** A definition that failed to compile: it evaluates to ERROR / PARSE_ERROR, alone. */
export interface BrokenDefinition {
  readonly kind: DefinitionKind;
  readonly format: 'broken';
  readonly key: string;
  readonly version: number;
  readonly errors: readonly CompileIssue[];
}

/** Anything that can answer a flag or config key. */
export type FlagLike = CompiledFlag | CompiledConfig | CompiledFlagdFlag | BrokenDefinition;

/** Any compiled definition. */
export type CompiledDefinition = CompiledFlag | CompiledConfig | CompiledFlagdFlag | CompiledSurvey | BrokenDefinition;

/** One consistent set of a project's definitions; every decision of a handshake uses one. */
export interface Snapshot {
  readonly flags: readonly FlagLike[];
  readonly configs: readonly FlagLike[];
  readonly surveys: readonly (CompiledSurvey | BrokenDefinition)[];
  /** Every cohort key any definition references: all a handshake needs to read. */
  readonly cohortKeys: readonly string[];
}
