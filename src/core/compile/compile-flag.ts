/**
 * Compiles a native flag: boolean flags get `on`/`off` (values true/false) when variants are
 * omitted; multivariate values must share one JSON type; every variant reference, split and
 * JSON Logic condition is checked.
 */
import { HASH_VERSION, SUPPORTED_HASH_VERSIONS } from '../evaluate/bucketing.js';
import { jsonType } from './compile-flagd.js';
import { checkDuplicateIds, checkHashVersion, compileRule, compileSplit } from './compile-rules.js';
import { zodIssues, type CompileResult } from './compile-result.js';
import type { CompiledFlag, CompiledServe, CompiledVariant } from '../evaluate/compiled.js';
import { flagSchema } from './definitions.js';
import { joinPath, type CompileIssue } from './paths.js';

type ParsedFlag = ReturnType<typeof flagSchema.parse>;
type Variants = NonNullable<ParsedFlag['variants']>;

const BOOLEAN_VARIANTS: Variants = { on: { value: true }, off: { value: false } };

function isBooleanPair(variants: Variants): boolean {
  const names = Object.keys(variants).sort();
  return names.length === 2 && names[0] === 'off' && names[1] === 'on' && variants.on.value === true && variants.off.value === false;
}

/** Checks the variants' shape for the flag type; returns the variants to use. */
function checkVariants(flag: ParsedFlag, flagType: CompiledFlag['flagType'], issues: CompileIssue[]): Variants {
  if (flagType === 'boolean') {
    const variants = flag.variants ?? BOOLEAN_VARIANTS;
    if (!isBooleanPair(variants)) issues.push({ path: 'variants', message: 'boolean flags have exactly the variants on (true) and off (false)' });
    return variants;
  }
  const variants = flag.variants ?? {};
  const names = Object.keys(variants);
  if (names.length === 0) issues.push({ path: 'variants', message: 'multivariate flags need at least one variant' });
  const firstType = names.length > 0 ? jsonType(variants[names[0]].value) : '';
  for (const name of names) {
    const type = jsonType(variants[name].value);
    if (type !== firstType) issues.push({ path: joinPath(joinPath('variants', name), 'value'), message: `all variant values must have one JSON type: ${type} is not ${firstType}` });
  }
  return variants;
}

function checkReference(variants: Variants, name: string, path: string, issues: CompileIssue[]): void {
  if (!Object.hasOwn(variants, name)) issues.push({ path, message: `unknown variant ${JSON.stringify(name)}` });
}

/** Compiles a native flag definition. */
export function compileNativeFlag(raw: unknown): CompileResult<CompiledFlag> {
  const parsed = flagSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodIssues(parsed.error) };
  const flag = parsed.data;
  const issues: CompileIssue[] = [];
  const flagType = flag.kind ?? (flag.variants === undefined || isBooleanPair(flag.variants) ? 'boolean' : 'multivariate');
  const variants = checkVariants(flag, flagType, issues);
  const defaultVariant = flag.default_variant ?? (flagType === 'boolean' ? 'off' : '');
  if (defaultVariant === '') issues.push({ path: 'default_variant', message: 'required for multivariate flags' });
  else checkReference(variants, defaultVariant, 'default_variant', issues);
  const offVariant = flag.off_variant ?? (flagType === 'boolean' ? 'off' : defaultVariant);
  if (flag.off_variant !== undefined) checkReference(variants, offVariant, 'off_variant', issues);
  const hashVersion = flag.hash_version ?? HASH_VERSION;
  checkHashVersion(hashVersion, issues, SUPPORTED_HASH_VERSIONS);
  checkDuplicateIds(flag.rules, '', issues);
  const rules = flag.rules.map((rule, i) => {
    const servePath = joinPath(joinPath('rules', i), 'serve');
    let serve: CompiledServe | null = null;
    if (rule.serve.variant !== undefined) {
      checkReference(variants, rule.serve.variant, joinPath(servePath, 'variant'), issues);
      serve = { kind: 'variant', variant: rule.serve.variant };
    } else if (rule.serve.split !== undefined) {
      const splitPath = joinPath(servePath, 'split');
      rule.serve.split.forEach((arm, j) => checkReference(variants, arm.variant, joinPath(joinPath(splitPath, j), 'variant'), issues));
      serve = compileSplit(rule.serve.split, splitPath, issues);
    }
    return compileRule(rule, joinPath('rules', i), serve, issues);
  });
  if (issues.length > 0) return { ok: false, errors: issues };
  const compiledVariants = new Map<string, CompiledVariant>(
    Object.entries(variants).map(([name, v]) => [name, v.payload === undefined ? { value: v.value } : { value: v.value, payload: v.payload }]),
  );
  return {
    ok: true,
    def: {
      kind: 'flag',
      format: 'native',
      flagType,
      key: flag.key,
      version: flag.version ?? 1,
      enabled: flag.enabled,
      variants: compiledVariants,
      defaultVariant,
      offVariant,
      salt: flag.salt ?? flag.key,
      hashVersion,
      rules,
    },
  };
}
