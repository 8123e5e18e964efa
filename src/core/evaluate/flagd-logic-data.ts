/**
 * The data-reading operators of flagd's JSON Logic (diegoholiveira/jsonlogic v3 `vars.go`,
 * `lists.go`): `var`, `missing`, `missing_some`, `set`, and the operators that run an
 * expression per array item (`filter`, `map`, `reduce`, `all`, `none`, `some`), including
 * the library's `solveVars` pre-pass, which replaces `{"var": path}` nodes by their value
 * before the expression is applied to each item.
 */
import { apply, asSlice, parseValues } from './flagd-logic.js';
import { type GoMap, goInt, isMap, isPrimitive, isTrue, panic, toGoString, toNumber } from './flagd-go-values.js';

function newMap(): GoMap {
  return Object.create(null) as GoMap;
}

/**
 * vars.go#getVar: the argument is evaluated; a number path is its text; `[path, default]`;
 * the path is split on "."; a null value, a missing key, an index out of range or a
 * primitive met mid-path gives the default.
 */
export function getVar(values: unknown, data: unknown): unknown {
  let path = parseValues(values, data);
  if (path === null) return isPrimitive(data) ? data : null;
  if (path === '') return data;
  if (typeof path === 'number') path = toGoString(path);
  let fallback: unknown = null;
  if (Array.isArray(path)) {
    if (path.length === 0) return data;
    if (path.length === 2) fallback = path[1];
    if (typeof path[0] !== 'string') panic('interface conversion: var path is not a string');
    path = path[0];
  }
  if (data === null) return fallback;
  if (typeof path !== 'string') return panic('interface conversion: var path is not a string');
  let value: unknown = data;
  for (const part of path.split('.')) {
    if (part === '') continue;
    if (isMap(value)) {
      value = Object.hasOwn(value, part) ? value[part] : null;
    } else if (Array.isArray(value)) {
      const pos = goInt(toNumber(part));
      if (pos < 0 || pos >= value.length) return fallback;
      value = value[pos];
    } else {
      return fallback;
    }
    if (value === null || value === undefined) return fallback;
  }
  return value;
}

/** `missing`: the keys whose value is null (a string argument is one key). */
export function missing(values: unknown, data: unknown): unknown[] {
  let parsed = parseValues(values, data);
  if (typeof parsed === 'string') parsed = [parsed];
  const out: unknown[] = [];
  for (const key of asSlice(parsed)) if (getVar(key, data) === null) out.push(key);
  return out;
}

/** `missing_some`: `[]` when at least n of the keys are present, else the missing keys. */
export function missingSome(values: unknown, data: unknown): unknown[] {
  const parsed = asSlice(parseValues(values, data));
  if (parsed.length < 2) panic('runtime error: index out of range');
  const needed = goInt(toNumber(parsed[0]));
  const out: unknown[] = [];
  let found = 0;
  for (const key of asSlice(parsed[1])) {
    if (getVar(key, data) === null) out.push(key);
    else found++;
  }
  return needed > found ? out : [];
}

/** `set`: a copy of the object with one property set (non-objects are returned as they are). */
export function setProperty(values: unknown, data: unknown): unknown {
  const parsed = asSlice(parseValues(values, data));
  if (parsed.length === 0) panic('runtime error: index out of range');
  const object = parsed[0];
  if (!isMap(object)) return object;
  if (parsed.length < 3) panic('runtime error: index out of range');
  if (typeof parsed[1] !== 'string') panic('interface conversion: property is not a string');
  const copy = newMap();
  for (const key of Object.keys(object)) copy[key] = object[key];
  copy[parsed[1]] = parsed[2];
  return copy;
}

/** vars.go#solveVars: `{"var": path}` nodes (path not "" nor ".x") replaced by their non-null value. */
function solveVars(values: unknown, data: unknown): unknown {
  if (isMap(values)) {
    const logic = newMap();
    for (const key of Object.keys(values)) {
      const value = values[key];
      if (key !== 'var') {
        logic[key] = solveVars(value, data);
        continue;
      }
      if (typeof value === 'string' && (value === '' || value.startsWith('.'))) {
        logic.var = value;
        continue;
      }
      const resolved = getVar(value, data);
      if (resolved !== null) return resolved;
      logic.var = value;
    }
    return logic;
  }
  if (Array.isArray(values)) return values.map((value) => solveVars(value, data));
  return values;
}

/** The array an item operator runs over: a literal array as is, an operation's result, else nil. */
function subjectOf(parsed: unknown[], data: unknown): unknown {
  if (parsed.length === 0) panic('runtime error: index out of range');
  const first = parsed[0];
  if (Array.isArray(first)) return first;
  if (isMap(first)) return apply(first, data);
  return null;
}

/** `apply(rules, data)` with Go's type assertion on `rules`. */
function applyMapOrPanic(rules: unknown, data: unknown): unknown {
  if (!isMap(rules)) panic('interface conversion: rule is not map[string]interface {}');
  return apply(rules, data);
}

function second(parsed: unknown[]): unknown {
  if (parsed.length < 2) panic('runtime error: index out of range');
  return parsed[1];
}

export function applyFilter(values: unknown, data: unknown): unknown[] {
  const parsed = asSlice(values);
  if (parsed.length < 2) return [];
  const subject = subjectOf(parsed, data);
  if (subject === null) return [];
  const logic = solveVars(parsed[1], data);
  return asSlice(subject).filter((item) => isTrue(parseValues(logic, item)));
}

export function applyMap(values: unknown, data: unknown): unknown[] {
  const parsed = asSlice(values);
  if (parsed.length < 2) return [];
  const subject = subjectOf(parsed, data);
  if (subject === null) return [];
  return asSlice(subject).map((item) => parseValues(parsed[1], item));
}

/** `reduce`: the accumulator keeps the type of the initial value (bool, number or string). */
export function applyReduce(values: unknown, data: unknown): unknown {
  const parsed = asSlice(values);
  if (parsed.length < 3) return 0;
  const initial = isMap(parsed[2]) ? apply(parsed[2], data) : parsed[2];
  let coerce: (v: unknown) => unknown;
  if (typeof initial === 'boolean') coerce = isTrue;
  else if (typeof initial === 'number') coerce = toNumber;
  else if (typeof initial === 'string') coerce = toGoString;
  else return panic(`The type "${initial === null ? '<nil>' : typeof initial}" is not supported`);
  const context = newMap();
  context.current = 0;
  context.accumulator = coerce(initial);
  context.valueType = typeof initial === 'boolean' ? 'bool' : typeof initial;
  const subject = subjectOf(parsed, data);
  if (subject === null) return 0;
  for (const item of asSlice(subject)) {
    if (item === null) continue;
    context.current = item;
    context.accumulator = coerce(applyMapOrPanic(parsed[1], context));
  }
  return context.accumulator;
}

export function applyAll(values: unknown, data: unknown): boolean {
  const parsed = asSlice(values);
  const subject = subjectOf(parsed, data);
  if (!isTrue(subject)) return false;
  for (const item of asSlice(subject)) {
    if (!isTrue(applyMapOrPanic(solveVars(second(parsed), item), item))) return false;
  }
  return true;
}

export function applyNone(values: unknown, data: unknown): boolean {
  const parsed = asSlice(values);
  const subject = subjectOf(parsed, data);
  if (!isTrue(subject)) return true;
  const conditions = solveVars(second(parsed), data);
  for (const item of asSlice(subject)) if (isTrue(applyMapOrPanic(conditions, item))) return false;
  return true;
}

export function applySome(values: unknown, data: unknown): boolean {
  const parsed = asSlice(values);
  const subject = subjectOf(parsed, data);
  if (!isTrue(subject)) return false;
  for (const item of asSlice(subject)) {
    if (isTrue(applyMapOrPanic(solveVars(solveVars(second(parsed), data), item), item))) return true;
  }
  return false;
}
