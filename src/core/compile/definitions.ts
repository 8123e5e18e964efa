/**
 * Shapes of saved definitions (PRODUCT.md 7.1, 7.4), checked with zod before compiling.
 * Cross-field rules (variant references, weight sums, schemas, duplicate ids) are checked
 * by the compile step, which reports every problem with its path.
 */
import { z } from 'zod';
import type { JsonValue } from '../evaluate/types.js';

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.:\-/]*$/;
const KEY_MESSAGE = 'letters, digits and _ . : - /, starting with a letter or digit';

/** A definition or cohort key. */
export const keySchema = z.string().min(1).max(200).regex(KEY_RE, KEY_MESSAGE);

export const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number().finite(), z.boolean(), z.null(), z.array(jsonValueSchema), z.record(jsonValueSchema)]),
);

/** A variant or config value: any JSON except null (null means "no value" in decisions). */
const valueSchema = jsonValueSchema.refine((v) => v !== null, 'must not be null');

const hasAtMost3Decimals = (n: number): boolean => Math.abs(n * 1000 - Math.round(n * 1000)) < 1e-6;

/** A percentage in [0, 100] with at most 3 decimals (0.001 % is one bucket). */
export const percentSchema = z
  .number()
  .min(0, 'must be between 0 and 100')
  .max(100, 'must be between 0 and 100')
  .refine(hasAtMost3Decimals, 'at most 3 decimals');

const cohortConditionsSchema = z
  .object({
    all: z.array(keySchema).optional(),
    any: z.array(keySchema).optional(),
    none: z.array(keySchema).optional(),
  })
  .strict();

/** Targeting shared by every rule: cohorts, a JSON Logic condition, a rollout, a bucketing unit. */
const ruleBase = {
  id: z.string().min(1).max(100),
  description: z.string().max(2000).optional(),
  cohorts: cohortConditionsSchema.optional(),
  condition: z.unknown().optional(),
  rollout: percentSchema.optional(),
  bucket_by: z.string().min(1).max(200).optional(),
};

function exactlyOne<T extends Record<string, unknown>>(a: keyof T & string, b: keyof T & string) {
  return (serve: T, ctx: z.RefinementCtx): void => {
    if ((serve[a] === undefined) === (serve[b] === undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `serve exactly one of "${a}" or "${b}"` });
    }
  };
}

const flagServeSchema = z
  .object({
    variant: z.string().min(1).optional(),
    split: z.array(z.object({ variant: z.string().min(1), weight: percentSchema }).strict()).min(1).optional(),
  })
  .strict()
  .superRefine(exactlyOne('variant', 'split'));

const configServeSchema = z
  .object({
    value: valueSchema.optional(),
    split: z.array(z.object({ value: valueSchema, weight: percentSchema }).strict()).min(1).optional(),
  })
  .strict()
  .superRefine(exactlyOne('value', 'split'));

const common = {
  key: keySchema,
  description: z.string().max(2000).optional(),
  /** Hash salt; defaults to the key so renaming nothing reshuffles nobody. */
  salt: z.string().min(1).max(200).optional(),
  hash_version: z.number().int().optional(),
  version: z.number().int().min(0).optional(),
};

export const flagRuleSchema = z.object({ ...ruleBase, serve: flagServeSchema }).strict();

/** A native flag (PRODUCT.md 7.1). Boolean flags may omit variants ({on: true, off: false}). */
export const flagSchema = z
  .object({
    ...common,
    kind: z.enum(['boolean', 'multivariate']).optional(),
    enabled: z.boolean(),
    variants: z
      .record(z.string().min(1).max(100), z.object({ value: valueSchema, payload: jsonValueSchema.optional() }).strict())
      .optional(),
    default_variant: z.string().min(1).optional(),
    off_variant: z.string().min(1).optional(),
    rules: z.array(flagRuleSchema).default([]),
  })
  .strict();

export const configRuleSchema = z.object({ ...ruleBase, serve: configServeSchema }).strict();

/** A remote-config value: a JSON Schema, a default value and rules that override it. */
export const configSchema = z
  .object({
    ...common,
    enabled: z.boolean().default(true),
    schema: z.union([z.record(z.unknown()), z.boolean()]),
    default: valueSchema,
    rules: z.array(configRuleSchema).default([]),
  })
  .strict();

const QUESTION_TYPES = ['open', 'rating', 'single_choice', 'multiple_choice', 'link'] as const;

export const surveyQuestionSchema = z
  .object({
    id: z.string().min(1).max(100),
    type: z.enum(QUESTION_TYPES),
    question: z.string().min(1).max(2000),
    description: z.string().max(2000).optional(),
    optional: z.boolean().optional(),
    choices: z.array(z.string().min(1).max(500)).min(1).optional(),
    scale: z.union([z.literal(3), z.literal(5), z.literal(7), z.literal(10)]).optional(),
    lower_label: z.string().max(200).optional(),
    upper_label: z.string().max(200).optional(),
    link: z.string().url().optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    const needsChoices = q.type === 'single_choice' || q.type === 'multiple_choice';
    if (needsChoices && q.choices === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['choices'], message: `${q.type} questions need choices` });
    }
  });

/** A time as unix ms or an ISO 8601 string (checked when compiled). */
const timeSchema = z.union([z.number().int().min(0), z.string().min(1)]);

export const surveyRuleSchema = z.object(ruleBase).strict();

/** A survey: content, eligibility rules (a matching rule means eligible), triggers, limits. */
export const surveySchema = z
  .object({
    ...common,
    name: z.string().min(1).max(200),
    enabled: z.boolean(),
    questions: z.array(surveyQuestionSchema).min(1),
    rules: z.array(surveyRuleSchema).default([]),
    triggers: z
      .object({
        events: z.array(z.string().min(1).max(200)).optional(),
        url_pattern: z.string().min(1).max(1000).optional(),
        delay_ms: z.number().int().min(0).optional(),
      })
      .strict()
      .default({}),
    schedule: z.object({ start: timeSchema.optional(), end: timeSchema.optional() }).strict().optional(),
    response_limit: z.number().int().positive().optional(),
    wait_period_days: z.number().min(0).optional(),
  })
  .strict();

/**
 * A flagd flag key: any non-empty string, as flagd accepts (spaces, non-ASCII), at most 1000
 * characters and without U+0000 (PostgreSQL text cannot hold it). Native keys stay stricter.
 */
export const flagdKeySchema = z
  .string()
  .min(1)
  .max(1000)
  .refine((key) => !key.includes('\u0000'), 'must not contain U+0000');

/**
 * A flag in flagd's flag-definition format (flagd.dev/reference/flag-definitions), checked as
 * flagd's Go loader checks it (core/pkg/model/flag.go field types; its JSON schema only
 * warns): `state`, `defaultVariant` strings (or null), `variants`, `metadata` objects (or
 * null), `targeting` any JSON, unknown fields kept. Shapes only: compile-flagd.ts reads the
 * values from the raw document (zod's record copies would mishandle a `__proto__` key).
 */
export const flagdFlagSchema = z
  .object({
    key: flagdKeySchema,
    state: z.string().nullable().optional(),
    variants: z.record(z.unknown()).nullable().optional(),
    defaultVariant: z.string().nullable().optional(),
    targeting: z.unknown().optional(),
    metadata: z.record(z.unknown()).nullable().optional(),
    /** Shared evaluators of the flag's document; `{"$ref": name}` nodes are replaced when compiled. */
    $evaluators: z.record(z.unknown()).optional(),
    /** The metadata of the flag's document (flagd's flag-set metadata), stored with each flag. */
    flagSetMetadata: z.record(z.unknown()).nullable().optional(),
    source: z.string().optional(),
    selector: z.string().optional(),
    version: z.number().int().min(0).optional(),
  })
  .passthrough();

/** A saved native flag, as written in `rules/` or the admin API. */
export type FlagDefinition = z.input<typeof flagSchema>;
/** A saved config definition. */
export type ConfigDefinition = z.input<typeof configSchema>;
/** A saved survey definition. */
export type SurveyDefinition = z.input<typeof surveySchema>;
/** A flag in flagd format, with its key (and its file's `$evaluators`, if any). */
export type FlagdFlagDefinition = z.input<typeof flagdFlagSchema>;
