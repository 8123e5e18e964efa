/**
 * The value operators of flagd's JSON Logic (diegoholiveira/jsonlogic v3 `lists.go#_in`,
 * `lists.go#merge`, `strings.go`, `math.go`): every argument is evaluated first; numbers go
 * through typing.ToNumber (strings parsed, an unparsable string is 0, null and booleans
 * panic), text through typing.ToString (numbers without exponent, null is "", booleans,
 * arrays and objects panic).
 */
import { asSlice, parseValues } from './flagd-logic.js';
import { goEquals, goInt, isPrimitive, panic, toGoString, toNumber, trimSpace } from './flagd-go-values.js';

function at(list: unknown[], index: number): unknown {
  if (index >= list.length) panic(`runtime error: index out of range [${index}] with length ${list.length}`);
  return list[index];
}

/** `[lo, hi]` inside an `in` list: an inclusive numeric range. */
function inRange(value: unknown, range: unknown[]): boolean {
  const lo = at(range, 0);
  const hi = at(range, 1);
  const v = toNumber(value);
  return v >= toNumber(lo) && toNumber(hi) >= v;
}

/**
 * `in`: a string haystack is a substring test (the needle must be a string, else a panic);
 * an array haystack matches numbers by value (`1` in `["1"]`), `[lo, hi]` elements as
 * ranges, other elements with Go's `==`; any other haystack is false.
 */
export function inList(values: unknown, data: unknown): boolean {
  const parsed = asSlice(parseValues(values, data));
  const needle = at(parsed, 0);
  const haystack = parsed.length > 1 ? parsed[1] : null;
  if (typeof haystack === 'string') {
    if (typeof needle !== 'string') panic('interface conversion: interface {} is not string');
    return haystack.includes(needle);
  }
  if (!Array.isArray(haystack)) return false;
  for (const element of haystack) {
    if (Array.isArray(element)) {
      if (inRange(needle, element)) return true;
      continue;
    }
    if (typeof needle === 'number') {
      if (toNumber(element) === needle) return true;
      continue;
    }
    if (goEquals(element, needle)) return true;
  }
  return false;
}

/** `merge`: arrays flattened one level; a primitive is wrapped. */
export function merge(values: unknown, data: unknown): unknown[] {
  const parsed = parseValues(values, data);
  if (isPrimitive(parsed)) return [parsed];
  const out: unknown[] = [];
  for (const value of asSlice(parsed)) {
    if (Array.isArray(value)) out.push(...value);
    else out.push(value);
  }
  return out;
}

/** `cat`: a string as is; one element its text (untrimmed); more elements joined, then TrimSpace. */
export function concat(values: unknown, data: unknown): string {
  const parsed = parseValues(values, data);
  if (typeof parsed === 'string') return parsed;
  const list = asSlice(parsed);
  if (list.length === 0) return '';
  if (list.length === 1) return toGoString(list[0]);
  let text = '';
  for (const item of list) text += toGoString(item);
  return trimSpace(text);
}

/**
 * `substr`: counts code points; a start beyond either end returns the whole string; a
 * negative length is an end index from the end; an end before the start panics.
 */
export function substr(values: unknown, data: unknown): string {
  const parsed = asSlice(parseValues(values, data));
  const runes = Array.from(toGoString(at(parsed, 0)));
  let from = goInt(toNumber(at(parsed, 1)));
  let length = runes.length;
  if (from < 0) from = length + from;
  if (from < 0 || from > length) return runes.join('');
  if (parsed.length === 3) length = goInt(toNumber(parsed[2]));
  let to: number;
  if (length < 0) {
    length = runes.length + length;
    to = length;
  } else {
    to = from + length;
  }
  if (to > runes.length) to = runes.length;
  if (to < from) panic(`runtime error: slice bounds out of range [${from}:${to}]`);
  return runes.slice(from, to).join('');
}

function numbers(values: unknown, data: unknown): unknown[] | null {
  const parsed = parseValues(values, data);
  return Array.isArray(parsed) ? parsed : null;
}

export function sum(values: unknown, data: unknown): number {
  const parsed = parseValues(values, data);
  if (!Array.isArray(parsed)) return toNumber(parsed);
  let total = 0;
  for (const n of parsed) total += toNumber(n);
  return total;
}

export function minus(values: unknown, data: unknown): number {
  const parsed = numbers(values, data);
  if (parsed === null || parsed.length === 0) return 0;
  if (parsed.length === 1) return -1 * toNumber(parsed[0]);
  let total = toNumber(parsed[0]);
  for (let i = 1; i < parsed.length; i++) total -= toNumber(parsed[i]);
  return total;
}

export function mult(values: unknown, data: unknown): number {
  const parsed = numbers(values, data);
  if (parsed === null || parsed.length === 0) return 1;
  let total = 1;
  for (const n of parsed) total *= toNumber(n);
  return total;
}

export function div(values: unknown, data: unknown): number {
  const parsed = numbers(values, data);
  if (parsed === null || parsed.length === 0) return 0;
  let total = toNumber(parsed[0]);
  for (let i = 1; i < parsed.length; i++) total /= toNumber(parsed[i]);
  return total;
}

/** `%`: math.Mod (the sign of the dividend, like JavaScript's %). */
export function mod(values: unknown, data: unknown): number {
  const parsed = asSlice(parseValues(values, data));
  return toNumber(at(parsed, 0)) % toNumber(at(parsed, 1));
}

export function abs(values: unknown, data: unknown): number {
  const parsed = parseValues(values, data);
  if (!Array.isArray(parsed)) return Math.abs(toNumber(parsed));
  return parsed.length === 0 ? 0 : Math.abs(toNumber(parsed[0]));
}

function extreme(values: unknown, data: unknown, better: (a: number, b: number) => boolean): number | null {
  const parsed = numbers(values, data);
  if (parsed === null || parsed.length === 0) return null;
  let best = toNumber(parsed[0]);
  for (let i = 1; i < parsed.length; i++) {
    const n = toNumber(parsed[i]);
    if (better(n, best)) best = n;
  }
  return best;
}

// Function declarations (not consts): flagd-logic.ts builds its table from them at load time.
export function max(values: unknown, data: unknown): number | null {
  return extreme(values, data, (n, best) => n > best);
}

export function min(values: unknown, data: unknown): number | null {
  return extreme(values, data, (n, best) => best > n);
}
