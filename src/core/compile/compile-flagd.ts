/**
 * Compiles a flag written in flagd's flag-definition format (PRODUCT.md 7.4): `$ref`s to
 * shared `$evaluators` are replaced by the evaluator's expression, then operators are
 * checked. As in flagd, an unknown `$ref` or operator is a PARSE_ERROR for this flag only.
 */
import type { CompiledFlagdFlag } from '../evaluate/compiled.js';
import { flagdFlagSchema } from './definitions.js';
import { compileLogic } from '../evaluate/logic-compiler.js';
import { validateLogic } from './logic-validator.js';
import { joinPath, type CompileIssue } from './paths.js';
import type { JsonValue } from '../evaluate/types.js';
import { zodIssues, type CompileResult } from './compile-result.js';

/** JSON type of a value, telling arrays from objects. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** Replaces each `{"$ref": name}` node by the named evaluator (recursively, refusing cycles). */
export function resolveRefs(
  node: unknown,
  evaluators: Readonly<Record<string, unknown>>,
  path: string,
  issues: CompileIssue[],
  stack: readonly string[] = [],
): unknown {
  if (Array.isArray(node)) return node.map((item, i) => resolveRefs(item, evaluators, joinPath(path, i), issues, stack));
  if (typeof node !== 'object' || node === null) return node;
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === '$ref') {
    const name = record.$ref;
    if (typeof name !== 'string' || !Object.hasOwn(evaluators, name)) {
      issues.push({ path, message: `$ref to unknown evaluator ${JSON.stringify(name)}` });
      return node;
    }
    if (stack.includes(name)) {
      issues.push({ path, message: `$ref cycle: ${[...stack, name].join(' -> ')}` });
      return node;
    }
    return resolveRefs(evaluators[name], evaluators, path, issues, [...stack, name]);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = resolveRefs(record[key], evaluators, joinPath(path, key), issues, stack);
  return out;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** Compiles one flagd-format flag (`{ key, state, variants, defaultVariant, targeting?, ... }`). */
export function compileFlagdFlag(raw: unknown): CompileResult<CompiledFlagdFlag> {
  const parsed = flagdFlagSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodIssues(parsed.error) };
  const flag = parsed.data;
  const issues: CompileIssue[] = [];
  const names = Object.keys(flag.variants);
  if (!Object.hasOwn(flag.variants, flag.defaultVariant)) {
    issues.push({ path: 'defaultVariant', message: `unknown variant ${JSON.stringify(flag.defaultVariant)}` });
  }
  const firstType = jsonType(flag.variants[names[0]]);
  for (const name of names) {
    const type = jsonType(flag.variants[name]);
    if (type !== firstType) {
      issues.push({ path: joinPath('variants', name), message: `all variants must have one JSON type: ${type} is not ${firstType}` });
    }
  }
  let targeting: unknown = null;
  if (flag.targeting !== undefined && flag.targeting !== null && !isEmptyObject(flag.targeting)) {
    const before = issues.length;
    targeting = resolveRefs(flag.targeting, flag.$evaluators ?? {}, 'targeting', issues);
    // Unresolved refs are already reported; checking operators would report them twice.
    if (issues.length === before) issues.push(...validateLogic(targeting, 'targeting', false));
  }
  if (issues.length > 0) return { ok: false, errors: issues };
  return {
    ok: true,
    def: {
      kind: 'flag',
      format: 'flagd',
      key: flag.key,
      version: flag.version ?? 1,
      enabled: flag.state === 'ENABLED',
      variants: new Map(names.map((name) => [name, flag.variants[name] as JsonValue])),
      defaultVariant: flag.defaultVariant,
      targeting,
      test: targeting === null ? null : compileLogic(targeting),
      metadata: flag.metadata ?? {},
    },
  };
}
