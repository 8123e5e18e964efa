/**
 * Lint of a flag, config or survey (PRODUCT.md 10, issue 18): what is valid but almost
 * surely a mistake. Pure; run by `rules lint` on a folder and by the definitions service on
 * every save (the API answers them as `warnings` next to a successful write). Each warning
 * names the definition, the rule and why. References to missing or archived cohorts are
 * errors (the service refuses the write with 400); everything else is a warning:
 * - a rule after a catch-all rule (no cohorts, no condition or an always-true one, rollout
 *   100 % or none): it can never match;
 * - variants that no rule, split arm, default or off variant can serve;
 * - split arms of weight 0 and rollouts of 0 %;
 * - conditions that are always true or always false (no `var` in them: the value is fixed);
 * - a condition on a property no person of the project has (when the caller knows them);
 * - two rules with identical cohorts and condition (the second sees only what the first
 *   left out by its rollout);
 * - duplicate rule ids (the compile step also refuses them);
 * - a survey with no trigger (no events, no url_pattern): it is never shown.
 * flagd-format flags are linted by flagd's own rules (compile step) only.
 */
import jsonLogic from 'json-logic-js';
import { isFlagdFormat, joinPath } from '../core/index.js';
import { canonicalJson } from './canonical-json.js';
import type { RuleIssue } from './load.js';
import type { RuleSet } from './validate.js';

/** One lint finding; `path` is inside the definition document (`rules[2]`, `variants.blue`). */
export interface LintFinding {
  path: string;
  message: string;
}

/** Errors refuse a save; warnings are reported beside it. */
export interface LintResult {
  errors: LintFinding[];
  warnings: LintFinding[];
}

/** What lint knows about the project; every part is optional (offline lint knows nothing). */
export interface LintContext {
  /** the project's cohorts by key, with their state */
  cohorts?: ReadonlyMap<string, { state: string }>;
  /** person properties referenced by conditions that at least one person has */
  knownProperties?: ReadonlySet<string>;
}

type Rule = {
  id?: unknown;
  cohorts?: { all?: unknown[]; any?: unknown[]; none?: unknown[] };
  condition?: unknown;
  rollout?: number;
  serve?: { variant?: string; value?: unknown; split?: Array<{ variant?: string; value?: unknown; weight?: number }> };
};

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every `{ "var": name }` name in a JSON Logic expression (first dotted segment of a path). */
export function conditionVars(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) conditionVars(n, into);
  else if (isMap(node)) {
    for (const [op, arg] of Object.entries(node)) {
      if (op === 'var') {
        const name = Array.isArray(arg) ? arg[0] : arg;
        if (typeof name === 'string' && name !== '') into.add(name.split('.')[0]);
        else if (typeof name === 'number') into.add(String(name));
        else into.add(''); // `{ var: "" }` is the whole context: not constant
      } else conditionVars(arg, into);
    }
  }
  return into;
}

/** `true`/`false` when a condition does not depend on the person (no `var`), else null. */
function constantTruth(condition: unknown): boolean | null {
  if (condition === undefined) return null;
  if (conditionVars(condition).size > 0) return null;
  try {
    return jsonLogic.truthy(jsonLogic.apply(condition as never, {}));
  } catch {
    return null; // an operator json-logic-js lacks (ours, flagd's): say nothing
  }
}

const cohortKeys = (rule: Rule) => ['all', 'any', 'none'].flatMap((l) => (Array.isArray(rule.cohorts?.[l as 'all']) ? (rule.cohorts![l as 'all'] as unknown[]) : []));

function isCatchAll(rule: Rule): boolean {
  if (cohortKeys(rule).length > 0) return false;
  if (rule.condition !== undefined && constantTruth(rule.condition) !== true) return false;
  return rule.rollout === undefined || rule.rollout >= 100;
}

/** Lints one saved-shape definition document (a compiled-clean one: run after the compile step). */
export function lintDefinition(kind: 'flag' | 'config' | 'survey', key: string, doc: Record<string, unknown>, ctx: LintContext = {}): LintResult {
  const errors: LintFinding[] = [];
  const warnings: LintFinding[] = [];
  const name = `${kind} ${JSON.stringify(key)}`;
  if (kind === 'flag' && isFlagdFormat(doc)) return { errors, warnings };
  const rules: Rule[] = Array.isArray(doc.rules) ? (doc.rules as Rule[]) : [];
  const ruleName = (r: Rule, i: number) => `rule ${typeof r.id === 'string' ? JSON.stringify(r.id) : `#${i + 1}`}`;
  const seenIds = new Map<unknown, number>();
  const seenConditions = new Map<string, number>();
  let catchAll: number | null = null;
  rules.forEach((rule, i) => {
    if (!isMap(rule)) return;
    const at = joinPath('rules', i);
    const who = `${name}, ${ruleName(rule, i)}`;
    if (seenIds.has(rule.id)) errors.push({ path: joinPath(at, 'id'), message: `${who}: duplicate rule id (also rules[${seenIds.get(rule.id)}])` });
    else seenIds.set(rule.id, i);
    const unreachable = catchAll !== null;
    if (catchAll !== null) warnings.push({ path: at, message: `${who}: can never match: ${ruleName(rules[catchAll], catchAll)} (rules[${catchAll}]) before it matches everyone` });
    else if (isCatchAll(rule)) catchAll = i;
    // cohort references
    for (const list of ['all', 'any', 'none'] as const) {
      const keys = rule.cohorts?.[list];
      if (!Array.isArray(keys) || !ctx.cohorts) continue;
      keys.forEach((k, j) => {
        const target = ctx.cohorts!.get(String(k));
        const p = joinPath(joinPath(joinPath(at, 'cohorts'), list), j);
        if (!target) errors.push({ path: p, message: `${who}: cohort ${JSON.stringify(k)} does not exist in the project` });
        else if (target.state === 'archived') errors.push({ path: p, message: `${who}: cohort ${JSON.stringify(k)} is archived: restore it or remove the reference` });
      });
    }
    if (rule.rollout === 0) warnings.push({ path: joinPath(at, 'rollout'), message: `${who}: rollout is 0 %: the rule never serves anyone` });
    rule.serve?.split?.forEach((arm, j) => {
      if (arm?.weight === 0) warnings.push({ path: joinPath(joinPath(joinPath(at, 'serve'), 'split'), j), message: `${who}: split arm ${arm.variant !== undefined ? JSON.stringify(arm.variant) : `#${j + 1}`} has weight 0: nobody gets it` });
    });
    if (rule.condition !== undefined) {
      const truth = constantTruth(rule.condition);
      if (truth !== null) warnings.push({ path: joinPath(at, 'condition'), message: `${who}: condition is always ${truth}: it does not depend on the person` });
      if (ctx.knownProperties) {
        for (const prop of conditionVars(rule.condition)) {
          if (prop !== '' && !prop.startsWith('$') && prop !== 'targetingKey' && !ctx.knownProperties.has(prop)) {
            warnings.push({ path: joinPath(at, 'condition'), message: `${who}: condition reads property ${JSON.stringify(prop)}, which no person of the project has` });
          }
        }
      }
    }
    const same = canonicalJson({ cohorts: rule.cohorts ?? null, condition: rule.condition ?? null });
    const first = seenConditions.get(same);
    if (first !== undefined && !unreachable) warnings.push({ path: at, message: `${who}: same cohorts and condition as ${ruleName(rules[first], first)} (rules[${first}]): it only sees who that rule's rollout left out` });
    else seenConditions.set(same, i);
  });
  if (kind === 'flag' && isMap(doc.variants)) {
    const served = new Set<string>();
    for (const v of [doc.default_variant, doc.off_variant]) if (typeof v === 'string') served.add(v);
    if (doc.default_variant === undefined) served.add('off'); // the compile step's default
    rules.forEach((rule, i) => {
      if (catchAll !== null && i > catchAll) return;
      if (rule.rollout === 0) return;
      if (typeof rule.serve?.variant === 'string') served.add(rule.serve.variant);
      for (const arm of rule.serve?.split ?? []) if (arm.weight !== 0 && typeof arm.variant === 'string') served.add(arm.variant);
    });
    for (const variant of Object.keys(doc.variants)) {
      if (!served.has(variant)) warnings.push({ path: joinPath('variants', variant), message: `${name}: variant ${JSON.stringify(variant)} is served by no rule, split arm, default or off variant` });
    }
  }
  if (kind === 'survey') {
    const t = isMap(doc.triggers) ? doc.triggers : {};
    const events = Array.isArray(t.events) ? t.events : [];
    if (events.length === 0 && t.url_pattern === undefined) warnings.push({ path: 'triggers', message: `${name}: no trigger (no events, no url_pattern): the survey is never shown` });
  }
  return { errors, warnings };
}

/** Lints every definition of a validated rules folder; findings carry their file (see RuleIssue). */
export function lintRuleSet(set: Pick<RuleSet, 'definitions'>, ctx: Omit<LintContext, 'cohorts'> = {}): { issues: RuleIssue[]; warnings: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  const warnings: RuleIssue[] = [];
  for (const d of set.definitions) {
    const r = lintDefinition(d.kind, d.key, d.document, ctx);
    for (const e of r.errors) issues.push({ file: d.file, at: e.path || undefined, message: e.message });
    for (const w of r.warnings) warnings.push({ file: d.file, at: w.path || undefined, message: w.message });
  }
  return { issues, warnings };
}

/** Person properties read by the conditions of a folder's native definitions. */
export function propertiesRead(set: Pick<RuleSet, 'definitions'>): Set<string> {
  const out = new Set<string>();
  for (const d of set.definitions) {
    const rules = Array.isArray(d.document.rules) ? (d.document.rules as Rule[]) : [];
    for (const r of rules) if (isMap(r) && r.condition !== undefined) for (const v of conditionVars(r.condition)) if (v && !v.startsWith('$')) out.add(v);
  }
  return out;
}
