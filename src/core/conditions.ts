/**
 * JSON Logic evaluation: json-logic-js plus flagd's custom operators, registered once when
 * this module loads. A custom operator given invalid arguments aborts the whole expression
 * (flagd: "operators must return null on error so the default variant is selected"), which
 * callers see as the OperatorAbort it returns.
 */
import jsonLogic from 'json-logic-js';
import { endsWith } from './operators/ends-with.js';
import { fractional } from './operators/fractional.js';
import { semVer } from './operators/sem-ver.js';
import { startsWith } from './operators/starts-with.js';

/** Marks an expression aborted by a custom operator's invalid arguments. */
export class OperatorAbort {
  constructor(readonly operator: string) {}
}

/** One preallocated abort per operator, so an abort allocates nothing on the hot path. */
export const ABORT = {
  starts_with: new OperatorAbort('starts_with'),
  ends_with: new OperatorAbort('ends_with'),
  sem_ver: new OperatorAbort('sem_ver'),
  fractional: new OperatorAbort('fractional'),
};

/** flagd's operators, added to json-logic-js's own. */
export const CUSTOM_OPERATORS = ['starts_with', 'ends_with', 'sem_ver', 'fractional'] as const;

/** json-logic-js operators allowed in definitions; `log` is left out (it writes to the console). */
const BUILTIN_OPERATORS = [
  'var', 'missing', 'missing_some', 'if', '?:', '==', '===', '!=', '!==', '!', '!!', 'or', 'and',
  '>', '>=', '<', '<=', 'max', 'min', '+', '-', '*', '/', '%', 'map', 'filter', 'reduce', 'all',
  'none', 'some', 'merge', 'in', 'cat', 'substr',
] as const;

/** Every operator a definition may use; anything else is refused when it is compiled. */
export const KNOWN_OPERATORS: ReadonlySet<string> = new Set<string>([...BUILTIN_OPERATORS, ...CUSTOM_OPERATORS]);

jsonLogic.add_operation('starts_with', (...args: unknown[]) => {
  const result = startsWith(args);
  if (result === null) throw ABORT.starts_with;
  return result;
});
jsonLogic.add_operation('ends_with', (...args: unknown[]) => {
  const result = endsWith(args);
  if (result === null) throw ABORT.ends_with;
  return result;
});
jsonLogic.add_operation('sem_ver', (...args: unknown[]) => {
  const result = semVer(args);
  if (result === null) throw ABORT.sem_ver;
  return result;
});
// json-logic-js calls operations with the evaluation data as `this`.
jsonLogic.add_operation('fractional', function (this: unknown, ...args: unknown[]) {
  const result = fractional(args, this);
  if (result === null) throw ABORT.fractional;
  return result;
});

/**
 * Runs an expression pre-compiled by logic-compiler.ts. Returns its result, or the
 * OperatorAbort of the custom operator that refused its arguments. Other failures throw.
 */
export function runCompiled(compiled: (data: unknown) => unknown, data: unknown): unknown {
  try {
    return compiled(data);
  } catch (error) {
    if (error instanceof OperatorAbort) return error;
    throw error;
  }
}

/**
 * Evaluates a raw JSON Logic expression against flat data (interpreted by json-logic-js). Returns the result, or the
 * OperatorAbort of the custom operator that refused its arguments. Other failures throw.
 */
export function runLogic(expression: unknown, data: unknown): unknown {
  try {
    return jsonLogic.apply(expression as Parameters<typeof jsonLogic.apply>[0], data);
  } catch (error) {
    if (error instanceof OperatorAbort) return error;
    throw error;
  }
}
