/**
 * json-logic-js as the reference interpreter of our JSON Logic dialect (json-logic-js's
 * operators plus flagd's): differential tests compare the compiled closures of
 * evaluate/logic-compiler.ts against it. The custom operators are registered on
 * json-logic-js's global table on first use, never at import time, so importing the core
 * changes no shared state.
 */
import jsonLogic from 'json-logic-js';
import { ABORT, OperatorAbort } from '../evaluate/logic-operators.js';
import { endsWith } from '../evaluate/operators/ends-with.js';
import { fractional } from '../evaluate/operators/fractional.js';
import { semVer } from '../evaluate/operators/sem-ver.js';
import { startsWith } from '../evaluate/operators/starts-with.js';

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  const strict = (name: keyof typeof ABORT, fn: (args: unknown[]) => unknown) =>
    jsonLogic.add_operation(name, (...args: unknown[]) => {
      const result = fn(args);
      if (result === null) throw ABORT[name];
      return result;
    });
  strict('starts_with', startsWith);
  strict('ends_with', endsWith);
  strict('sem_ver', semVer);
  // json-logic-js calls operations with the evaluation data as `this`.
  jsonLogic.add_operation('fractional', function (this: unknown, ...args: unknown[]) {
    const result = fractional(args, this);
    if (result === null) throw ABORT.fractional;
    return result;
  });
}

/**
 * Evaluates a raw JSON Logic expression against flat data, interpreted by json-logic-js.
 * Returns its result, or the OperatorAbort of the custom operator that refused its
 * arguments. Other failures throw.
 */
export function runLogic(expression: unknown, data: unknown): unknown {
  register();
  try {
    return jsonLogic.apply(expression as Parameters<typeof jsonLogic.apply>[0], data);
  } catch (error) {
    if (error instanceof OperatorAbort) return error;
    throw error;
  }
}
