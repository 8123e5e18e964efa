/**
 * Compiles the rules shared by flags, configs and surveys: cohort lists, validated JSON Logic,
 * rollout thresholds and cumulative split bounds, each problem reported with its path.
 */
import { rolloutThreshold, splitUpperBounds } from '../evaluate/bucketing.js';
import type { CompiledRule, CompiledServe } from '../evaluate/compiled.js';
import { compileLogic } from '../evaluate/logic-compiler.js';
import { validateLogic } from './logic-validator.js';
import { joinPath, type CompileIssue } from './paths.js';

/** The targeting part of a rule as parsed by definitions.ts. */
export interface RuleInput {
  id: string;
  cohorts?: { all?: string[]; any?: string[]; none?: string[] };
  condition?: unknown;
  rollout?: number;
  bucket_by?: string;
}

/** A split arm reduced to the variant it serves and its weight in percent. */
export interface ArmInput {
  variant: string;
  weight: number;
}

/**
 * Compiles a split: checks that weights add up to 100 (in 0.001 % units) and turns them
 * into cumulative bucket bounds. `path` is the split's path, e.g. `rules[2].serve.split`.
 */
export function compileSplit(arms: readonly ArmInput[], path: string, issues: CompileIssue[]): CompiledServe | null {
  const uppers = splitUpperBounds(arms.map((arm) => arm.weight));
  if (uppers === null) {
    const sum = arms.reduce((total, arm) => total + Math.round(arm.weight * 1000), 0) / 1000;
    issues.push({ path, message: `split weights must add up to 100, they add up to ${sum}` });
    return null;
  }
  return { kind: 'split', variants: arms.map((arm) => arm.variant), uppers };
}

function unique(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}

/** Compiles one rule's targeting; `serve` was compiled by the caller (null for surveys). */
export function compileRule(rule: RuleInput, path: string, serve: CompiledServe | null, issues: CompileIssue[]): CompiledRule {
  const all = unique(rule.cohorts?.all ?? []);
  const any = unique(rule.cohorts?.any ?? []);
  const none = unique(rule.cohorts?.none ?? []);
  if (rule.condition !== undefined) {
    issues.push(...validateLogic(rule.condition, joinPath(path, 'condition')));
  }
  const threshold = rule.rollout === undefined || rule.rollout === 100 ? null : rolloutThreshold(rule.rollout);
  const bucketBy = rule.bucket_by ?? null;
  return {
    id: rule.id,
    cohortsAll: all,
    cohortsAny: any,
    cohortsNone: none,
    cohortKeys: unique([...all, ...any, ...none]),
    condition: rule.condition,
    test: rule.condition === undefined ? null : compileLogic(rule.condition),
    threshold,
    bucketBy,
    needsKey: threshold !== null || bucketBy !== null || serve?.kind === 'split',
    serve,
  };
}

/** Reports every rule id used more than once, at the later rule's `id`. */
export function checkDuplicateIds(rules: readonly { id: string }[], base: string, issues: CompileIssue[]): void {
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    const first = seen.get(rule.id);
    if (first === undefined) seen.set(rule.id, i);
    else issues.push({ path: joinPath(joinPath(joinPath(base, 'rules'), i), 'id'), message: `duplicate rule id ${JSON.stringify(rule.id)} (also rules[${first}])` });
  });
}

/** Reports a hash version this core cannot evaluate. */
export function checkHashVersion(version: number, issues: CompileIssue[], supported: readonly number[]): void {
  if (!supported.includes(version)) {
    issues.push({ path: 'hash_version', message: `unsupported hash_version ${version} (supported: ${supported.join(', ')})` });
  }
}
