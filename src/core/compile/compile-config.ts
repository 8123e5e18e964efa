/**
 * Compiles a config: every value (default, rule values, split values) is checked against the
 * declared JSON Schema, and values become named variants so decisions say what was served:
 * `default`, `<rule id>` for a rule's value, `<rule id>[<arm>]` for a split arm.
 */
import { HASH_VERSION, SUPPORTED_HASH_VERSIONS } from '../evaluate/bucketing.js';
import { checkDuplicateIds, checkHashVersion, compileRule, compileSplit } from './compile-rules.js';
import { zodIssues, type CompileResult } from './compile-result.js';
import type { CompiledConfig, CompiledServe, CompiledVariant } from '../evaluate/compiled.js';
import { checkValuesAgainstSchema, type ValueAtPath } from './config-schema.js';
import { configSchema } from './definitions.js';
import { joinPath, type CompileIssue } from './paths.js';
import type { JsonValue } from '../evaluate/types.js';

/** Variant name of a config's default value (also served when the config is disabled). */
export const CONFIG_DEFAULT_VARIANT = 'default';

/** Compiles a config definition. */
export function compileConfig(raw: unknown): CompileResult<CompiledConfig> {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodIssues(parsed.error) };
  const config = parsed.data;
  const issues: CompileIssue[] = [];
  const hashVersion = config.hash_version ?? HASH_VERSION;
  checkHashVersion(hashVersion, issues, SUPPORTED_HASH_VERSIONS);
  checkDuplicateIds(config.rules, '', issues);
  const variants = new Map<string, CompiledVariant>([[CONFIG_DEFAULT_VARIANT, { value: config.default as JsonValue }]]);
  const values: ValueAtPath[] = [{ path: 'default', value: config.default }];
  const rules = config.rules.map((rule, i) => {
    const rulePath = joinPath('rules', i);
    const servePath = joinPath(rulePath, 'serve');
    if (rule.id === CONFIG_DEFAULT_VARIANT) {
      issues.push({ path: joinPath(rulePath, 'id'), message: `"${CONFIG_DEFAULT_VARIANT}" is reserved for the config's default value` });
    }
    let serve: CompiledServe | null = null;
    if (rule.serve.split !== undefined) {
      const splitPath = joinPath(servePath, 'split');
      const arms = rule.serve.split.map((arm, j) => {
        const name = `${rule.id}[${j}]`;
        variants.set(name, { value: arm.value as JsonValue });
        values.push({ path: joinPath(joinPath(splitPath, j), 'value'), value: arm.value });
        return { variant: name, weight: arm.weight };
      });
      serve = compileSplit(arms, splitPath, issues);
    } else {
      variants.set(rule.id, { value: rule.serve.value as JsonValue });
      values.push({ path: joinPath(servePath, 'value'), value: rule.serve.value });
      serve = { kind: 'variant', variant: rule.id };
    }
    return compileRule(rule, rulePath, serve, issues);
  });
  issues.push(...checkValuesAgainstSchema(config.schema, values));
  if (issues.length > 0) return { ok: false, errors: issues };
  return {
    ok: true,
    def: {
      kind: 'config',
      format: 'native',
      key: config.key,
      version: config.version ?? 1,
      enabled: config.enabled,
      variants,
      defaultVariant: CONFIG_DEFAULT_VARIANT,
      offVariant: CONFIG_DEFAULT_VARIANT,
      salt: config.salt ?? config.key,
      hashVersion,
      rules,
    },
  };
}
