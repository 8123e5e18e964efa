/**
 * JSON Logic as flagd's Go evaluator runs it: diegoholiveira/jsonlogic v3 (the table-dispatch
 * revisions, `operation.go`, `jsonlogic.go#apply`/`parseValues`, `logic.go`, `comp.go`) with
 * flagd's custom operators (flagd-operators.ts). Used ONLY for flagd-format flags; native
 * rules keep json-logic-js semantics (logic-compiler.ts). The expression is interpreted as
 * the Go library does, node by node, because its semantics depend on what each node
 * evaluates to at run time (a branch that yields a one-key object is applied again).
 *
 * - An object with exactly one key is an operation; with more keys it is data (returned as
 *   is, unevaluated); `{}` evaluates to `{}`. An unknown operator panics only when evaluated.
 * - Operators get their arguments raw; most call parseValues first, which evaluates
 *   operations found in arrays (recursively). `and`, `or`, `if` are lazy.
 * - Truthiness is typing.IsTrue (`{}` and `[]` falsy, NaN truthy); comparisons use
 *   javascript.ToNumber unless both sides are strings; `equals(x, null)` is false unless x is null.
 * A Go panic (GoPanic) fails the whole targeting: the caller answers PARSE_ERROR.
 */
import { applyAll, applyFilter, applyMap, applyNone, applyReduce, applySome, getVar, missing, missingSome, setProperty } from './flagd-logic-data.js';
import { abs, concat, div, inList, max, merge, min, minus, mod, mult, substr, sum } from './flagd-logic-ops.js';
import { FLAGD_OPERATORS } from './flagd-operators.js';
import { compareGoStrings, type GoMap, isMap, isPrimitive, isTrue, jsToNumber, panic } from './flagd-go-values.js';

/** An operator: raw (unevaluated) arguments and the data in, a value out. */
export type GoOperator = (values: unknown, data: unknown) => unknown;

/** jsonlogic.go#parseValues: evaluates operations, in arrays too (recursively); primitives as they are. */
export function parseValues(values: unknown, data: unknown): unknown {
  if (values === null || values === undefined || isPrimitive(values)) return values ?? null;
  if (isMap(values)) return apply(values, data);
  const list = values as unknown[];
  if (list.length === 0) return list;
  const out = new Array<unknown>(list.length);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    out[i] = isMap(item) ? apply(item, data) : parseValues(item, data);
  }
  return out;
}

/** jsonlogic.go#apply: one key is an operation, more keys are data, no key is a new `{}`. */
export function apply(rules: GoMap, data: unknown): unknown {
  const keys = Object.keys(rules);
  if (keys.length > 1) return rules;
  if (keys.length === 0) return Object.create(null) as GoMap;
  const operator = keys[0];
  const fn = OPERATIONS.get(operator);
  if (fn === undefined) panic(`The operator "${operator}" is not supported`);
  return fn(rules[operator], data);
}

/** jsonlogic.go#ApplyInterface: what flagd evaluates a targeting with. */
export function applyInterface(rule: unknown, data: unknown): unknown {
  if (isMap(rule)) return apply(rule, data);
  if (Array.isArray(rule)) return rule.map((value) => parseValues(value, data));
  return rule ?? null;
}

/** A Go type assertion `values.([]any)`: panics unless `values` is an array. */
export function asSlice(values: unknown): unknown[] {
  if (!Array.isArray(values)) panic('interface conversion: interface {} is not []interface {}');
  return values;
}

function and(values: unknown, data: unknown): unknown {
  let last: unknown = null;
  for (const value of asSlice(values)) {
    last = parseValues(value, data);
    if (!isTrue(last)) return last;
  }
  return last;
}

function or(values: unknown, data: unknown): unknown {
  let last: unknown = null;
  for (const value of asSlice(values)) {
    last = parseValues(value, data);
    if (isTrue(last)) return last;
  }
  return last;
}

/** logic.go#evaluateClause: a branch that evaluates to a one-key object is applied again. */
function evaluateClause(clause: unknown, data: unknown): unknown {
  const parsed = parseValues(clause, data);
  return isMap(parsed) ? apply(parsed, data) : parsed;
}

/** `if` and `?:`: condition/branch pairs, then an optional else; `[]` is null. */
function conditional(values: unknown, data: unknown): unknown {
  const clauses = asSlice(values);
  const n = clauses.length;
  for (let i = 0; i < n - 1; i += 2) {
    if (isTrue(parseValues(clauses[i], data))) return evaluateClause(clauses[i + 1], data);
  }
  return n % 2 === 1 ? evaluateClause(clauses[n - 1], data) : null;
}

/** `!`: the first element of an array argument, or the argument itself. */
function negative(values: unknown, data: unknown): boolean {
  const parsed = parseValues(values, data);
  if (Array.isArray(parsed) && parsed.length > 0) return !isTrue(parsed[0]);
  return !isTrue(parsed);
}

/** comp.go#less: strings compare as strings (bytes), everything else as javascript.ToNumber. */
function less(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return compareGoStrings(a, b) < 0;
  return jsToNumber(b) > jsToNumber(a);
}

/** comp.go#equals: null equals only null; two strings exactly; otherwise javascript.ToNumber. */
function equals(a: unknown, b: unknown): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return jsToNumber(a) === jsToNumber(b);
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return 'slice';
  return typeof value;
}

function hardEquals(values: unknown, data: unknown): boolean {
  const parsed = parseValues(values, data);
  if (!Array.isArray(parsed) || parsed.length < 2) return false;
  const [a, b] = parsed;
  if (a === null || b === null) return a === b;
  return kind(a) === kind(b) && equals(a, b);
}

/** The comparison operators: fewer than two operands is false, three is a "between". */
function comparison(two: (a: unknown, b: unknown) => boolean, three: (a: unknown, b: unknown, c: unknown) => boolean): GoOperator {
  return (values, data) => {
    const parsed = asSlice(parseValues(values, data));
    if (parsed.length < 2) return false;
    return parsed.length === 3 ? three(parsed[0], parsed[1], parsed[2]) : two(parsed[0], parsed[1]);
  };
}

const lessOrEqual = (a: unknown, b: unknown): boolean => less(a, b) || equals(a, b);

function isEqual(values: unknown, data: unknown): boolean {
  const parsed = asSlice(parseValues(values, data));
  return parsed.length < 2 ? false : equals(parsed[0], parsed[1]);
}

/** The operator table of jsonlogic v3 (operation.go#init) plus flagd's custom operators. */
const OPERATIONS: ReadonlyMap<string, GoOperator> = new Map<string, GoOperator>([
  ['and', and],
  ['or', or],
  ['filter', applyFilter],
  ['map', applyMap],
  ['reduce', applyReduce],
  ['all', applyAll],
  ['none', applyNone],
  ['some', applySome],
  ['in', inList],
  ['missing', missing],
  ['missing_some', missingSome],
  ['var', getVar],
  ['set', setProperty],
  ['cat', concat],
  ['substr', substr],
  ['merge', merge],
  ['if', conditional],
  ['?:', conditional],
  ['max', max],
  ['min', min],
  ['+', sum],
  ['-', minus],
  ['*', mult],
  ['/', div],
  ['%', mod],
  ['abs', abs],
  ['!', negative],
  ['!!', (v, d) => !isTrue(negative(v, d))],
  ['===', hardEquals],
  ['!==', (v, d) => !hardEquals(v, d)],
  ['<', comparison(less, (a, b, c) => less(a, b) && less(b, c))],
  ['<=', comparison(lessOrEqual, (a, b, c) => lessOrEqual(a, b) && lessOrEqual(b, c))],
  ['>', comparison((a, b) => less(b, a), (a, b, c) => less(c, b) && less(b, a))],
  ['>=', comparison((a, b) => less(b, a) || equals(b, a), (a, b, c) => lessOrEqual(c, b) && lessOrEqual(b, a))],
  ['==', isEqual],
  ['!=', (v, d) => !isEqual(v, d)],
  // jsonlogic.go#AddOperator: custom operators get their arguments evaluated first.
  ...Object.entries(FLAGD_OPERATORS).map(([name, fn]): [string, GoOperator] => [name, (v, d) => fn(parseValues(v, d), d)]),
]);

/** Every operator name the flagd dialect knows (anything else fails when evaluated). */
export const FLAGD_LOGIC_OPERATORS: ReadonlySet<string> = new Set(OPERATIONS.keys());
