/**
 * Checks a JSON Logic expression when a definition is compiled, not when a user asks
 * (flagd validates operators on load): unknown operators, leftover `$ref`s, objects with
 * several keys and runaway nesting are refused with the path of the offending node.
 * `strict` (native definitions) also checks literal arguments of flagd's operators; flagd
 * format leaves those to evaluation, where flagd answers the default variant.
 */
import { KNOWN_OPERATORS } from '../evaluate/logic-operators.js';
import { joinPath, type CompileIssue } from './paths.js';

const MAX_DEPTH = 64;
const SEM_VER_OPERATORS = new Set(['=', '!=', '<', '<=', '>', '>=', '^', '~']);

/** Checks literal arguments of flagd's operators (only literals: others are known at evaluation). */
function checkCustomArguments(op: string, args: unknown, path: string, issues: CompileIssue[]): void {
  const list = Array.isArray(args) ? args : [args];
  if ((op === 'starts_with' || op === 'ends_with') && list.length !== 2) {
    issues.push({ path, message: `${op} takes 2 arguments (value, ${op === 'starts_with' ? 'prefix' : 'suffix'})` });
  }
  if (op === 'sem_ver') {
    if (list.length !== 3) issues.push({ path, message: 'sem_ver takes 3 arguments (version, operator, target)' });
    else if (typeof list[1] !== 'string' || !SEM_VER_OPERATORS.has(list[1])) {
      issues.push({ path: joinPath(joinPath(path, op), 1), message: `sem_ver operator must be one of ${[...SEM_VER_OPERATORS].join(' ')}` });
    }
  }
}

function walk(node: unknown, path: string, depth: number, strict: boolean, issues: CompileIssue[]): void {
  if (depth > MAX_DEPTH) {
    issues.push({ path, message: `expression nested deeper than ${MAX_DEPTH} levels` });
    return;
  }
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, joinPath(path, i), depth + 1, strict, issues));
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const keys = Object.keys(node);
  if (keys.length === 0) return;
  if (keys.length > 1) {
    issues.push({ path, message: `a JSON Logic operation has exactly one key, found ${keys.length} (${keys.join(', ')})` });
    return;
  }
  const op = keys[0];
  const args = (node as Record<string, unknown>)[op];
  if (op === '$ref') {
    issues.push({ path, message: `unresolved $ref ${JSON.stringify(args)}` });
    return;
  }
  if (!KNOWN_OPERATORS.has(op)) {
    issues.push({ path, message: `unknown operator ${JSON.stringify(op)}` });
    return;
  }
  if (strict) checkCustomArguments(op, args, path, issues);
  walk(args, joinPath(path, op), depth + 1, strict, issues);
}

/**
 * Validates `expression`; returns the issues found (empty when valid), each located
 * under `path` (e.g. `rules[0].condition.and[1]`).
 */
export function validateLogic(expression: unknown, path: string, strict = true): CompileIssue[] {
  const issues: CompileIssue[] = [];
  walk(expression, path, 0, strict, issues);
  return issues;
}
