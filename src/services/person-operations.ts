import type { FieldProblem } from './event-validation.js';

/**
 * One People API update (PRODUCT.md 4.2), already validated. Several operations in one
 * update apply in this order: $set_once, $set, $add, $append, $union, $remove, $unset.
 * `$delete` stands alone.
 */
export interface EngageUpdate {
  distinctId: string;
  set?: Record<string, unknown>;
  setOnce?: Record<string, unknown>;
  add?: Record<string, number>;
  unset?: string[];
  append?: Record<string, unknown>;
  union?: Record<string, unknown[]>;
  remove?: Record<string, unknown>;
  delete?: boolean;
  /** unix ms the update happened (Mixpanel `$time`); recorded for `$set_once` keys */
  time?: number;
}

/** A person's properties and, per key written by `$set_once`, when (unix ms). */
export interface PersonState {
  properties: Record<string, unknown>;
  setOnceAt: Record<string, number>;
}

/** Order-insensitive JSON text of a value: equality for `$union` and `$remove`. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * Applies one update to a copy of `state`; `at` is unix ms. Returns the new state, or the
 * problem (field relative to the update) when the stored value does not fit the operation
 * (`$add` to a non-number or past a double's range, `$append`/`$union`/`$remove` on a non-list).
 */
export function applyUpdate(state: PersonState, u: EngageUpdate, at: number): { state: PersonState } | { problem: FieldProblem } {
  const p: Record<string, unknown> = { ...state.properties };
  const once: Record<string, number> = { ...state.setOnceAt };
  const write = (k: string, v: unknown) => {
    p[k] = v;
    delete once[k];
  };
  const listAt = (op: string, k: string): unknown[] | FieldProblem => {
    const cur = p[k];
    if (cur === undefined || cur === null) return [];
    if (!Array.isArray(cur)) return { field: `${op}.${k}`, message: `the stored value of "${k}" is not a list` };
    return cur;
  };

  for (const [k, v] of Object.entries(u.setOnce ?? {})) {
    if (!(k in p)) {
      p[k] = v;
      once[k] = u.time ?? at;
    }
  }
  for (const [k, v] of Object.entries(u.set ?? {})) write(k, v);
  for (const [k, n] of Object.entries(u.add ?? {})) {
    const cur = p[k] ?? 0;
    if (typeof cur !== 'number') return { problem: { field: `$add.${k}`, message: `the stored value of "${k}" is not a number` } };
    const sum = cur + n;
    // JSON has no Infinity: a sum past a double would be stored as null.
    if (!Number.isFinite(sum)) return { problem: { field: `$add.${k}`, message: `the sum ${cur} + ${n} is past the largest number a property can hold` } };
    write(k, sum);
  }
  for (const [k, v] of Object.entries(u.append ?? {})) {
    const list = listAt('$append', k);
    if (!Array.isArray(list)) return { problem: list };
    write(k, [...list, v]);
  }
  for (const [k, values] of Object.entries(u.union ?? {})) {
    const list = listAt('$union', k);
    if (!Array.isArray(list)) return { problem: list };
    const seen = new Set(list.map(canonical));
    const out = [...list];
    for (const v of values) {
      const c = canonical(v);
      if (!seen.has(c)) {
        seen.add(c);
        out.push(v);
      }
    }
    write(k, out);
  }
  for (const [k, v] of Object.entries(u.remove ?? {})) {
    const list = listAt('$remove', k);
    if (!Array.isArray(list)) return { problem: list };
    const c = canonical(v);
    write(k, list.filter((x) => canonical(x) !== c));
  }
  for (const k of u.unset ?? []) {
    delete p[k];
    delete once[k];
  }
  return { state: { properties: p, setOnceAt: once } };
}

/**
 * Properties of an anonymous person merged into an identified one (PRODUCT.md 4.3): the
 * identified person's values win, except that a key both persons got through `$set_once`
 * keeps the earlier write. Keys only one side has are kept as they are.
 */
export function mergePersons(anon: PersonState, identified: PersonState): PersonState {
  const properties = { ...anon.properties, ...identified.properties };
  const setOnceAt: Record<string, number> = {};
  for (const k of Object.keys(properties)) {
    const a = k in anon.properties ? anon.setOnceAt[k] : undefined;
    const i = k in identified.properties ? identified.setOnceAt[k] : undefined;
    if (!(k in identified.properties)) {
      if (a !== undefined) setOnceAt[k] = a;
    } else if (i !== undefined) {
      if (a !== undefined && a < i) {
        properties[k] = anon.properties[k];
        setOnceAt[k] = a;
      } else {
        setOnceAt[k] = i;
      }
    }
  }
  return { properties, setOnceAt };
}
