/**
 * The classes of hostile input the fuzz suite draws from (issue 14): strings with NUL bytes,
 * lone surrogates, percent signs, dot segments, placeholder ids, prototype keys, huge and odd
 * numbers, unicode and 10 KB strings; and their forms on the wire (path segments and query
 * strings, correctly or malformedly percent-encoded, double-encoded).
 */
import fc from 'fast-check';

/** Strings every field should survive (as JS strings: JSON bodies carry them escaped). */
export const SPECIAL_STRINGS: readonly string[] = [
  '', ' ', '\u0000', 'a\u0000b', '\uD800', 'x\uDFFFy', '\uDBFF\uDFFF', '\uDFFF\uD800',
  '..', '.', '../../etc/passwd', '%', '%00', '%ZZ', '%E0%A4%A', '%2e%2e', '%252e',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
  'null', 'undefined', 'NaN', '[object Object]', 'anonymous', 'guest', '0', '-1', '-0', '1.5', '0x1F', 'Infinity',
  '1e23', '99999999999999999999', '9007199254740993', '18446744073709551616', '2147483648',
  '  alice  ', 'ALICE', 'ǅ', '🙂', 'e\u0301', '\u202Eevil', '\uFEFF', 'Ω≈ç√', '日本語', 'ﷺ',
  '<script>alert(1)</script>', "' OR 1=1 --", '$' + '{jndi:ldap://x}', '\\', '"', '\n', '\r\n', '\t',
  '*', '?', '#', '&', '=', '/', ';', ',', '+', ' ',
];

/** Numbers past every integer type, negative, fractional, and the edges of doubles. */
export const SPECIAL_NUMBERS: readonly number[] = [
  0, -0, -1, 1.5, -1.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64,
  1e20, Number('99999999999999999999'), 1e23, -1e23, 1e308, -1e308, Number.MIN_VALUE, 5e-324, 8.64e15, 8.64e15 + 1,
];

/** Number literals as JSON text, for bodies built as text: some parse to Infinity or lose precision. */
export const NUMBER_LITERALS: readonly string[] = ['1e999', '-1e999', '99999999999999999999999999', '1e23', '-0', '0.0000000000000000000001', '123456789012345678901234567890', '1E+2', '-9223372036854775809'];

const longString = fc.constantFrom('x'.repeat(10_240), 'é'.repeat(5_000), '🙂'.repeat(2_600), 'a'.repeat(201), 'a'.repeat(1_000));

/** One hostile JS string. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...SPECIAL_STRINGS), weight: 8 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 3 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
  { arbitrary: fc.stringMatching(/^-?\d{12,25}$/), weight: 1 },
  {
    // a valid-looking value with one special inside
    arbitrary: fc.tuple(fc.constantFrom('alice', 'beta', 'pins'), fc.constantFrom('\u0000', '\uD800', '%', '..', '/', '\uDC00')).map(([a, b]) => a + b),
    weight: 2,
  },
  { arbitrary: longString, weight: 1 },
);

/** One hostile JSON value (leaves only; bodies.ts nests them). */
export const hostileLeaf: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 6 },
  { arbitrary: fc.constantFrom(...SPECIAL_NUMBERS), weight: 3 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
  { arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], { '': '' }), weight: 2 },
);

/** Keys of a JSON object an attacker would try. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', '', '\u0000', 'a\u0000', '\uD800', '$set', '$delete', 'token', 'events', 'updates', 'key', 'k'.repeat(10_000)), weight: 4 },
  { arbitrary: hostileString, weight: 2 },
);

// --- on the wire ----------------------------------------------------------------------------

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * Percent-encodes every UTF-16 code unit of `s` as its WTF-8 bytes (what a careless client
 * sends for a lone surrogate), leaving only unreserved characters as they are.
 */
export function wtf8Encode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (UNRESERVED.test(ch)) {
      out += ch;
      continue;
    }
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    const bytes: number[] =
      cp < 0x80 ? [cp]
      : cp < 0x800 ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
      : cp < 0x10000 ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
      : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
    for (const b of bytes) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent sequences that are malformed, overlong, or decode to something unstorable. */
export const MALFORMED_ENCODINGS: readonly string[] = [
  '%', '%Z', '%ZZ', '%E0%A4%A', '%C0%AF', '%C0%80', '%FF', '%FE%FF', '%ED%A0%80', '%ED%BF%BF', '%F4%90%80%80', '%80',
  '%00', 'x%00', '%2500', '%252e%252e', '%25', '%2F', '%2f..%2f', '%2e%2e', '%2E', '%u0041', '%%', 'a%', '%0a', '%0d%0a', '%20', '%09',
];

/** A path segment as sent on the wire (already encoded, maybe badly). */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: hostileString.map(wtf8Encode), weight: 5 },
  { arbitrary: fc.constantFrom(...MALFORMED_ENCODINGS), weight: 4 },
  { arbitrary: fc.tuple(fc.constantFrom('alice', 'beta', 'pins', '1'), fc.constantFrom(...MALFORMED_ENCODINGS)).map(([a, b]) => a + b), weight: 2 },
  { arbitrary: fc.constantFrom('..', '.', '99999999999999999999', '1e23', '-1', '0', '00001', '1.0', '0x10', '+1', '1%20', 'a'.repeat(10_240), '%41'.repeat(2_500)), weight: 3 },
);

/** A query parameter value as sent on the wire. */
export const hostileQueryValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: hostileSegment, weight: 3 },
  { arbitrary: fc.constantFrom('1', '0', '-1', '500', '501', '1e23', '99999999999999999999', 'true', 'false', '1.5', '', '+', '%2B', 'NaN'), weight: 3 },
);

/** A header value node's client will send (visible ASCII, tabs, obs-text), some of it huge. */
export const oddHeaderValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }), weight: 3 },
  { arbitrary: fc.constantFrom('', ' ', '\t', 'x'.repeat(4_000), '"', '*', 'W/"1"', '"99999999999999999999"', '1e23', '-1', '\u00e9\u00ff'), weight: 3 },
);
