/**
 * The JSON Logic operators native definitions may use (json-logic-js's own plus flagd's), and
 * how a custom operator's invalid arguments abort a native rule's condition (the rule then does
 * not match, docs/decisions.md section 2): the compiled closures throw a preallocated
 * OperatorAbort, which runCompiled returns as a value. flagd-format flags do not use this:
 * their dialect (flagd-logic.ts) treats the operator's null as a value, as flagd's Go
 * evaluator does. Nothing here touches json-logic-js's global operator table: evaluation runs
 * on logic-compiler.ts's closures only.
 */

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
