/**
 * Compiles a flag written in flagd's flag-definition format (PRODUCT.md 7.4) as flagd's Go
 * loader accepts it (open-feature/flagd core/pkg/evaluator/json.go#configToFlagDefinition,
 * transposeEvaluators, validateDefaultVariants; docs/flagd-semantics.md section 6):
 * - every flag flagd loads compiles: no or null `defaultVariant`, variants of mixed JSON
 *   types (null values too), empty variants, any metadata, unknown fields, any state
 *   (only "DISABLED" disables), any targeting (unknown operators, leftover `$ref`s and
 *   multi-key objects fail only when evaluated, as in flagd);
 * - refused, with paths, as flagd refuses the document: a `defaultVariant` naming no
 *   variant, an empty evaluator, fields of the wrong JSON type (state, defaultVariant,
 *   variants, metadata), and, because PostgreSQL cannot store them, strings holding U+0000
 *   or unpaired surrogates;
 * - `$ref`: each `"$ref": "<name>"` pair is replaced by the evaluator's members (flagd
 *   substitutes the evaluator's JSON text without its braces, so sibling keys stay). Nested
 *   references are resolved fully (flagd substitutes each evaluator once, in Go map order,
 *   so an inner reference there survives only by chance: flagd issue 1942); a reference to
 *   an unknown evaluator, or one that closes a cycle, is left in place and fails when
 *   evaluated (PARSE_ERROR).
 * Flag-set metadata travels with each flag as `flagSetMetadata` (the admin API stores one
 * flag per definition); answers carry it overlaid by the flag's own `metadata`.
 */
import type { CompiledFlagdFlag } from '../evaluate/compiled.js';
import type { JsonValue } from '../evaluate/types.js';
import { zodIssues, type CompileResult } from './compile-result.js';
import { flagdFlagSchema } from './definitions.js';
import { joinPath, type CompileIssue } from './paths.js';

type JsonMap = Record<string, unknown>;

/** JSON type of a value, telling arrays from objects. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function newMap(): JsonMap {
  return Object.create(null) as JsonMap;
}

/** Replaces `"$ref": name` pairs by the named evaluator's members, recursively (see above). */
export function resolveRefs(node: unknown, evaluators: Readonly<JsonMap>, stack: readonly string[] = []): unknown {
  if (Array.isArray(node)) return node.map((item) => resolveRefs(item, evaluators, stack));
  if (!isMap(node)) return node;
  const out = newMap();
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (key === '$ref' && typeof value === 'string' && Object.hasOwn(evaluators, value) && isMap(evaluators[value]) && !stack.includes(value)) {
      const resolved = resolveRefs(evaluators[value], evaluators, [...stack, value]) as JsonMap;
      for (const k of Object.keys(resolved)) out[k] = resolved[k];
    } else {
      out[key] = resolveRefs(value, evaluators, stack);
    }
  }
  return out;
}

/** Names of the evaluators `node` references with `$ref` (to check the ones flagd would splice). */
function referencedEvaluators(node: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const item of node) referencedEvaluators(item, into);
  else if (isMap(node)) {
    for (const key of Object.keys(node)) {
      if (key === '$ref' && typeof node[key] === 'string') into.add(node[key] as string);
      referencedEvaluators(node[key], into);
    }
  }
  return into;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is what PostgreSQL refuses
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Strings (values and keys) PostgreSQL's jsonb refuses: U+0000 and unpaired surrogates. */
function unstorable(value: unknown, path: string, issues: CompileIssue[]): void {
  if (typeof value === 'string') {
    if (UNSTORABLE.test(value)) issues.push({ path, message: 'strings must not contain U+0000 or unpaired surrogates (they cannot be stored)' });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => unstorable(item, joinPath(path, i), issues));
  } else if (isMap(value)) {
    for (const key of Object.keys(value)) {
      if (UNSTORABLE.test(key)) issues.push({ path, message: `key ${JSON.stringify(key)} must not contain U+0000 or unpaired surrogates` });
      unstorable(value[key], joinPath(path, key), issues);
    }
  }
}

function checkEvaluators(evaluators: JsonMap, targeting: unknown, issues: CompileIssue[]): void {
  const used = referencedEvaluators(targeting, new Set());
  for (const name of Object.keys(evaluators)) {
    const evaluator = evaluators[name];
    const path = joinPath('$evaluators', name);
    if (isMap(evaluator) && Object.keys(evaluator).length === 0) issues.push({ path, message: 'evaluator object is empty' });
    // flagd splices the evaluator's JSON without its braces: anything but an object breaks the document.
    else if (!isMap(evaluator) && used.has(name)) issues.push({ path, message: 'an evaluator used with $ref must be a JSON object' });
  }
}

/** The flag set's metadata overlaid by the flag's own non-null entries (json.go#evaluateVariant). */
function mergedMetadata(flagSet: JsonMap | null, own: JsonMap | null): Record<string, JsonValue> {
  const out = newMap() as Record<string, JsonValue>;
  if (flagSet) for (const key of Object.keys(flagSet)) out[key] = flagSet[key] as JsonValue;
  if (own) for (const key of Object.keys(own)) if (own[key] !== null) out[key] = own[key] as JsonValue;
  return out;
}

/** Compiles one flagd-format flag (`{ key, state?, variants?, defaultVariant?, targeting?, ... }`). */
export function compileFlagdFlag(raw: unknown): CompileResult<CompiledFlagdFlag> {
  const parsed = flagdFlagSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodIssues(parsed.error) };
  // Values are read from the raw document; the schema only checked their JSON types.
  const flag = raw as JsonMap;
  const issues: CompileIssue[] = [];
  const variants = isMap(flag.variants) ? flag.variants : newMap();
  const names = Object.keys(variants);
  const defaultVariant = typeof flag.defaultVariant === 'string' && flag.defaultVariant !== '' ? flag.defaultVariant : null;
  if (defaultVariant !== null && !Object.hasOwn(variants, defaultVariant)) {
    issues.push({ path: 'defaultVariant', message: `default variant ${JSON.stringify(defaultVariant)} isn't a valid variant of the flag` });
  }
  const evaluators = isMap(flag.$evaluators) ? flag.$evaluators : newMap();
  const hasTargeting = Object.hasOwn(flag, 'targeting') && flag.targeting !== undefined;
  checkEvaluators(evaluators, hasTargeting ? flag.targeting : null, issues);
  unstorable(flag, '', issues);
  if (issues.length > 0) return { ok: false, errors: issues };
  const targeting = hasTargeting ? resolveRefs(flag.targeting, evaluators) : undefined;
  const evaluated = hasTargeting && !(isMap(targeting) && Object.keys(targeting).length === 0);
  const flagSetMetadata = isMap(flag.flagSetMetadata) ? (flag.flagSetMetadata as Record<string, JsonValue>) : null;
  return {
    ok: true,
    def: {
      kind: 'flag',
      format: 'flagd',
      key: parsed.data.key,
      version: parsed.data.version ?? 1,
      enabled: flag.state !== 'DISABLED',
      variants: new Map(names.map((name) => [name, variants[name] as JsonValue])),
      defaultVariant,
      evaluated,
      targeting: evaluated ? targeting : null,
      metadata: mergedMetadata(flagSetMetadata, isMap(flag.metadata) ? flag.metadata : null),
      flagSetMetadata,
    },
  };
}
