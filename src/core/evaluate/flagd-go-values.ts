/**
 * Go's value semantics as flagd's JSON Logic library sees them (diegoholiveira/jsonlogic v3,
 * `internal/typing/typing.go` and `internal/javascript/javascript.go`; Go's `strconv` and
 * `strings`). Values are JSON decoded by Go: nil (here `null`), bool, float64 (`number`),
 * string, []any (arrays) and map[string]any (plain objects). A Go panic (a failed type
 * assertion, an index out of range) is thrown as a GoPanic, which the evaluator turns into
 * PARSE_ERROR as flagd does (jsonlogic's ApplyInterface recovers panics as errors).
 */

/** A panic inside the Go library: the whole targeting fails (ERROR / PARSE_ERROR). */
export class GoPanic extends Error {}

/** Throws a GoPanic with `message` (the Go runtime's words where they help). */
export function panic(message: string): never {
  throw new GoPanic(message);
}

/** A JSON object (Go map[string]any). */
export type GoMap = Record<string, unknown>;

export function isMap(value: unknown): value is GoMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** typing.IsPrimitive: bool, string or number (not nil). */
export function isPrimitive(value: unknown): value is string | number | boolean {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean';
}

/** typing.IsTrue: false, 0, "", empty arrays, empty maps and nil are falsy; NaN is truthy. */
export function isTrue(value: unknown): boolean {
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'string':
      return value.length > 0;
    case 'object':
      if (value === null) return false;
      return Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0;
    default:
      return false;
  }
}

// strconv.ParseFloat's decimal syntax (base 10; underscores are refused there) and Go's
// special values. Hex floats (0x1p-2) are accepted too, with their mandatory p exponent.
const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/;
const SPECIAL_RE = /^(?:([+-]?)(?:inf|infinity)|nan)$/i;

/** strconv.ParseFloat(s, 64): the value (±Inf when out of range), or null on a syntax error. */
export function parseGoFloat(text: string): number | null {
  if (DECIMAL_RE.test(text)) return Number(text);
  const special = SPECIAL_RE.exec(text);
  if (special !== null) return /nan/i.test(text) ? Number.NaN : special[1] === '-' ? -Infinity : Infinity;
  const hex = HEX_RE.exec(text);
  if (hex === null || hex[2] + hex[3] === '') return null;
  let mantissa = 0;
  for (const digit of hex[2] + hex[3]) mantissa = mantissa * 16 + Number.parseInt(digit, 16);
  const value = mantissa * 2 ** (Number(hex[4]) - 4 * hex[3].length);
  return hex[1] === '-' ? -value : value;
}

/** typing.ToNumber: strings parsed (0 when unparsable), numbers as they are; anything else panics. */
export function toNumber(value: unknown): number {
  if (typeof value === 'string') return parseGoFloat(value) ?? 0;
  if (typeof value === 'number') return value;
  return panic(`interface conversion: interface {} is ${goTypeName(value)}, not float64`);
}

// unicode.IsSpace: the characters strings.TrimSpace removes (not U+FEFF, unlike JavaScript).
const GO_SPACE = '\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** strings.TrimSpace. */
export function trimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && GO_SPACE.includes(text[start])) start++;
  while (end > start && GO_SPACE.includes(text[end - 1])) end--;
  return text.slice(start, end);
}

/**
 * javascript.ToNumber (comparisons): nil is 0, bools 1/0, numbers as they are, blank strings
 * 0, other strings strconv.ParseFloat without trimming (NaN when unparsable), arrays and maps NaN.
 */
export function jsToNumber(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return value;
    case 'boolean':
      return value ? 1 : 0;
    case 'string':
      return trimSpace(value) === '' ? 0 : (parseGoFloat(value) ?? Number.NaN);
    default:
      return value === null ? 0 : Number.NaN;
  }
}

/** The shortest decimal digits of a finite non-zero |x| and its decimal exponent: d.ddd × 10^exp. */
function shortestDigits(x: number): { digits: string; exp: number } {
  const [mantissa, exponent] = Math.abs(x).toExponential().split('e');
  return { digits: mantissa.replace('.', ''), exp: Number(exponent) };
}

/** strconv.FormatFloat(x, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatF(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0`;
  const { digits, exp } = shortestDigits(x);
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** fmt's %v of a float64 (%g with the shortest precision: exponent form when exp < -4 or exp >= 6). */
export function formatFloatV(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { digits, exp } = shortestDigits(x);
  // strconv ftoa.go: "if precision was the shortest possible, use precision 6 for this decision".
  if (exp < -4 || exp >= 6) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${x < 0 ? '-' : ''}${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return formatFloatF(x);
}

/** typing.ToString: numbers in 'f' format, nil is "", strings as they are; anything else panics. */
export function toGoString(value: unknown): string {
  if (typeof value === 'number') return formatFloatF(value);
  if (value === null) return '';
  if (typeof value === 'string') return value;
  return panic(`interface conversion: interface {} is ${goTypeName(value)}, not string`);
}

/** Go's int(f) on amd64: truncation; NaN and out-of-range values become math.MinInt64. */
export function goInt(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 63) return -(2 ** 63);
  return Math.trunc(x);
}

/** The Go type of a decoded JSON value, for panic messages. */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return '[]interface {}';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    default:
      return 'map[string]interface {}';
  }
}

/** Go's comparison of two strings: by UTF-8 bytes, which is code point order (not UTF-16 units). */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort above every BMP unit in code point order.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * Go's `==` on two interface values: different dynamic types are unequal, numbers compare as
 * float64 (NaN unequal), and two maps panic (an uncomparable type).
 */
export function goEquals(a: unknown, b: unknown): boolean {
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b)) panic('runtime error: comparing uncomparable type []interface {}');
    return false;
  }
  if (isMap(a) && isMap(b)) panic('runtime error: comparing uncomparable type map[string]interface {}');
  return a === b;
}
