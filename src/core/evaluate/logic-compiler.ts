/**
 * Pre-compiles a validated JSON Logic expression into closures, once per definition, so a
 * decision does not re-interpret it (json-logic-js re-splits `var` paths and allocates
 * argument arrays on every call). Semantics are json-logic-js 2.0's (jsonlogic.com/operations,
 * logic.js `apply` and its operations table), including the scoped operators (map, filter,
 * reduce, all, none, some) and missing/missing_some; json-logic-js itself is not used at
 * evaluation time (compile/reference-logic.ts keeps it as the reference a differential test
 * compares with). One deliberate difference: an array literal without logic inside is built
 * once and shared (json-logic-js copies it per call), which only shows through identity
 * comparisons of arrays.
 */
import { ABORT } from './logic-operators.js';
import { endsWith } from './operators/ends-with.js';
import { fractional } from './operators/fractional.js';
import { compareVersions, parseSemVer, semVer } from './operators/sem-ver.js';
import { startsWith } from './operators/starts-with.js';

/** A compiled expression: evaluates against the flat data; throws OperatorAbort on operator errors. */
export type CompiledLogic = (data: unknown) => unknown;

// JSON Logic is dynamically typed; operators apply JavaScript's own coercions, as json-logic-js does.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Operation = (...args: any[]) => unknown;

/** JSON Logic truthiness: an empty array is false, everything else as in JavaScript. */
export function isTruthy(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0 ? false : Boolean(value);
}

const OPERATIONS: Readonly<Record<string, Operation>> = {
  '==': (a, b) => a == b,
  '===': (a, b) => a === b,
  '!=': (a, b) => a != b,
  '!==': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b, c) => (c === undefined ? a < b : a < b && b < c),
  '<=': (a, b, c) => (c === undefined ? a <= b : a <= b && b <= c),
  '!!': (a) => isTruthy(a),
  '!': (a) => !isTruthy(a),
  '%': (a, b) => a % b,
  in: (a, b) => (!b || typeof b.indexOf === 'undefined' ? false : b.indexOf(a) !== -1),
  cat: (...args) => args.join(''),
  substr: (source, start, length) => {
    if (length < 0) {
      const rest = String(source).substr(start);
      return rest.substr(0, rest.length + length);
    }
    return String(source).substr(start, length);
  },
  '+': (...args) => args.reduce((sum, x) => parseFloat(sum) + parseFloat(x), 0),
  '*': (...args) => args.reduce((product, x) => parseFloat(product) * parseFloat(x)),
  '-': (a, b) => (b === undefined ? -a : a - b),
  '/': (a, b) => a / b,
  min: (...args) => Math.min(...args),
  max: (...args) => Math.max(...args),
  merge: (...args) => args.reduce((all: unknown[], x) => all.concat(x), []),
  starts_with: (...args) => startsWith(args) ?? abort('starts_with'),
  ends_with: (...args) => endsWith(args) ?? abort('ends_with'),
  sem_ver: (...args) => semVer(args) ?? abort('sem_ver'),
};

function abort(operator: keyof typeof ABORT): never {
  throw ABORT[operator];
}

/** json-logic-js's test for "this object is an operation": a plain object with one key. */
function isOperation(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && Object.keys(node).length === 1;
}

function containsLogic(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(containsLogic);
  return isOperation(node);
}

function lookup(data: any, path: unknown, fallback: unknown): unknown {
  const notFound = fallback === undefined ? null : fallback;
  if (path === undefined || path === '' || path === null) return data;
  let current = data;
  for (const part of String(path).split('.')) {
    if (current === null || current === undefined) return notFound;
    current = current[part];
    if (current === undefined) return notFound;
  }
  return current;
}

function compileVar(args: unknown[]): CompiledLogic {
  const [path, fallback] = args;
  if (containsLogic(path) || containsLogic(fallback)) {
    const p = compileNode(path);
    const f = compileNode(fallback);
    return (data) => lookup(data, p(data), f(data));
  }
  const notFound = fallback === undefined ? null : fallback;
  if (path === undefined || path === '' || path === null) return (data) => data;
  const parts = String(path).split('.');
  if (parts.length === 1) {
    const key = parts[0];
    return (data: any) => {
      if (data === null || data === undefined) return notFound;
      const value = data[key];
      return value === undefined ? notFound : value;
    };
  }
  return (data) => lookup(data, path, fallback);
}

function compileControl(op: 'if' | 'and' | 'or', branches: CompiledLogic[]): CompiledLogic {
  const n = branches.length;
  if (op === 'if') {
    return (data) => {
      let i = 0;
      for (; i < n - 1; i += 2) if (isTruthy(branches[i](data))) return branches[i + 1](data);
      return n === i + 1 ? branches[i](data) : null;
    };
  }
  const stopOn = op === 'or';
  return (data) => {
    let current: unknown;
    for (let i = 0; i < n; i++) {
      current = branches[i](data);
      if (isTruthy(current) === stopOn) return current;
    }
    return current;
  };
}

/** Calls `fn` with the evaluated arguments, without an intermediate array for up to 3 arguments. */
function compileCall(fn: Operation, args: CompiledLogic[]): CompiledLogic {
  const [a, b, c] = args;
  switch (args.length) {
    case 0:
      return () => fn();
    case 1:
      return (data) => fn(a(data));
    case 2:
      return (data) => fn(a(data), b(data));
    case 3:
      return (data) => fn(a(data), b(data), c(data));
    default:
      return (data) => fn(...args.map((arg) => arg(data)));
  }
}

function compileNode(node: unknown): CompiledLogic {
  if (Array.isArray(node)) {
    if (!containsLogic(node)) return () => node;
    const items = node.map(compileNode);
    return (data) => items.map((item) => item(data));
  }
  if (!isOperation(node)) return () => node;
  const op = Object.keys(node)[0];
  const raw = node[op];
  const args = Array.isArray(raw) ? raw : [raw];
  if (op === 'var') return compileVar(args);
  if (op === 'if' || op === '?:') return compileControl('if', args.map(compileNode));
  if (op === 'and' || op === 'or') return compileControl(op, args.map(compileNode));
  if (op === 'sem_ver' && args.length === 3 && !containsLogic(args[1]) && !containsLogic(args[2])) {
    // A literal target is parsed once, here, instead of on every decision.
    const version = compileNode(args[0]);
    const operator = args[1];
    const target = parseSemVer(args[2]);
    return (data) => {
      const actual = version(data);
      return (target === null ? null : compareVersions(actual, operator, target)) ?? abort('sem_ver');
    };
  }
  if (op === 'fractional') {
    const items = args.map(compileNode);
    return (data) => fractional(items.map((item) => item(data)), data) ?? abort('fractional');
  }
  const scoped = compileScoped(op, args);
  if (scoped) return scoped;
  const fn = Object.hasOwn(OPERATIONS, op) ? OPERATIONS[op] : undefined;
  if (fn === undefined) {
    // validateLogic refuses unknown operators when a definition is compiled; this only
    // answers as json-logic-js would for an expression compiled without validation.
    return () => {
      throw new Error(`Unrecognized operation ${op}`);
    };
  }
  return compileCall(fn, args.map(compileNode));
}

/** A value evaluated again as logic, as json-logic-js's `apply` does with operator arguments. */
function evaluateAgain(value: unknown, data: unknown): unknown {
  return Array.isArray(value) || isOperation(value) ? compileNode(value)(data) : value;
}

/**
 * json-logic-js's `missing`: the keys (or the first argument's list of keys) whose value is
 * null or ''. Each key goes through `{ var: key }`, which evaluates it again when it is
 * logic and spreads it as var's (path, default) arguments when it is an array.
 */
function missingOf(keys: unknown[], data: unknown): unknown[] {
  const list = Array.isArray(keys[0]) ? (keys[0] as unknown[]) : keys;
  const out: unknown[] = [];
  for (const key of list) {
    const args = Array.isArray(key) ? key.map((k) => evaluateAgain(k, data)) : [evaluateAgain(key, data)];
    const value = lookup(data, args[0], args[1]);
    if (value === null || value === '') out.push(key);
  }
  return out;
}

/**
 * The operators json-logic-js evaluates with their own scope (the array items become the
 * data of the inner expression) or with access to the data itself; null for any other.
 */
function compileScoped(op: string, args: unknown[]): CompiledLogic | null {
  switch (op) {
    case 'missing': {
      const items = args.map(compileNode);
      return (data) => missingOf(items.map((item) => item(data)), data);
    }
    case 'missing_some': {
      // Every argument is evaluated (json-logic-js evaluates them before the operation runs).
      const items = args.map(compileNode);
      return (data) => {
        const values = items.map((item) => item(data)) as any[];
        const n = values[0];
        const list = values[1];
        const missing = missingOf((Array.isArray(list) ? list : [list]).map((k) => evaluateAgain(k, data)), data);
        // `list.length` throws on null, as json-logic-js does (the rule then answers ERROR).
        return list.length - missing.length >= n ? [] : missing;
      };
    }
    case 'map':
    case 'filter':
    case 'all':
    case 'none':
    case 'some': {
      const source = compileNode(args[0]);
      const inner = compileNode(args[1]);
      if (op === 'map') return (data) => {
        const items = source(data);
        return Array.isArray(items) ? items.map((item) => inner(item)) : [];
      };
      const filter = (data: unknown): unknown[] => {
        const items = source(data);
        return Array.isArray(items) ? items.filter((item) => isTruthy(inner(item))) : [];
      };
      if (op === 'filter') return filter;
      if (op === 'none') return (data) => filter(data).length === 0;
      if (op === 'some') return (data) => filter(data).length > 0;
      return (data) => {
        const items = source(data);
        if (!Array.isArray(items) || items.length === 0) return false;
        for (const item of items) if (!isTruthy(inner(item))) return false;
        return true;
      };
    }
    case 'reduce': {
      const source = compileNode(args[0]);
      const inner = compileNode(args[1]);
      const initial = args[2] === undefined ? () => null : compileNode(args[2]);
      return (data) => {
        const items = source(data);
        const start = initial(data);
        if (!Array.isArray(items)) return start;
        return items.reduce((accumulator, current) => inner({ current, accumulator }), start);
      };
    }
    default:
      return null;
  }
}

/** Compiles a JSON Logic expression (already checked by validateLogic) into a closure. */
export function compileLogic(expression: unknown): CompiledLogic {
  return compileNode(expression);
}
