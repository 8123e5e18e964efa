/**
 * Go's encoding/json Marshal of a decoded JSON value, as flagd writes a targeting result
 * before naming the variant (jsonlogic `Apply` uses json.NewEncoder, HTML escaping on):
 * object keys sorted by their UTF-8 bytes; `"` `\` and control characters escaped (\b \f \n
 * \r \t, others \u00XX), `<` `>` `&` U+2028 U+2029 as \u003c \u003e \u0026 \u2028 \u2029;
 * numbers as encoding/json formats float64 (JavaScript's shortest form, but `-0` stays
 * `-0`). NaN and ±Inf cannot be encoded: GoJsonError (flagd answers PARSE_ERROR).
 */
import { compareGoStrings } from './flagd-go-values.js';

/** json: unsupported value (NaN, ±Inf). */
export class GoJsonError extends Error {}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

// Characters that need escaping, and lone surrogates (invalid UTF-8 in Go: written as U+FFFD).
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON escapes the control characters
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(ch: string): string {
  const known = ESCAPES[ch];
  if (known !== undefined) return known;
  const code = ch.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return '\ufffd';
  return `\\u00${code.toString(16).padStart(2, '0')}`;
}

function encodeString(text: string): string {
  return `"${text.replace(NEEDS_ESCAPE, escapeChar)}"`;
}

function encodeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new GoJsonError(`json: unsupported value: ${n}`);
  // encoding/json: 'f' format for 1e-6 <= |n| < 1e21, else 'e' with a trimmed exponent,
  // which is exactly JavaScript's Number#toString; only the sign of zero differs.
  return Object.is(n, -0) ? '-0' : String(n);
}

/** The JSON text Go's encoding/json writes for `value` (without the Encoder's newline). */
export function goJsonEncode(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      return encodeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map(goJsonEncode).join(',')}]`;
  const map = value as Record<string, unknown>;
  const keys = Object.keys(map).sort(compareGoStrings);
  return `{${keys.map((k) => `${encodeString(k)}:${goJsonEncode(map[k])}`).join(',')}}`;
}
