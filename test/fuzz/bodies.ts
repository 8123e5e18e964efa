/**
 * Request bodies for the fuzz suite, as small replayable specs turned into bytes only when
 * sent: a route's valid body with one field made hostile, arbitrary JSON, raw JSON text
 * (deep nesting, duplicate and prototype keys, number literals past doubles), non-JSON
 * bytes, bodies over the route's limit, and gzip in every state (valid, truncated, lying,
 * a bomb that inflates far past the limit from a few KB).
 */
import { gzipSync, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { hostileKey, hostileLeaf, hostileString, NUMBER_LITERALS } from './hostile.js';

/** JSON text spliced into a body as is (JSON.stringify cannot produce it). */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON() {
    return `\u0002RAW:${this.text.length}:${this.text.slice(0, 20)}`;
  }
}

export type BodySpec =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; base64: string }
  | { kind: 'oversize'; bytes: number }
  | { kind: 'gzip'; inner: BodySpec; mode: 'ok' | 'truncated' | 'corrupt' }
  | { kind: 'deflate'; inner: BodySpec }
  | { kind: 'bomb' };

/** Bytes and the Content-Encoding they need (undefined: none). */
export interface Materialized {
  bytes: Buffer;
  encoding?: string;
}

/** JSON.stringify that splices RawJson leaves in as their text. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, function (this: Record<string, unknown>, k: string, v: unknown) {
    // `this[k]` is the value before toJSON ran.
    if (this[k] instanceof RawJson) {
      const raw = this[k] as RawJson;
      raws.push(raw.text);
      return `\u0002RAW${raws.length - 1}\u0002`;
    }
    return v;
  });
  if (text === undefined) return '';
  return raws.length ? text.replace(/"\\u0002RAW(\d+)\\u0002"/g, (_m, i: string) => raws[Number(i)]) : text;
}

let bombCache: Buffer | null = null;
/** 32 MB of JSON-ish whitespace-and-zeros gzipped to about 32 KB: far past every body limit once inflated. */
function bomb(): Buffer {
  if (!bombCache) {
    const inflated = Buffer.alloc(32 * 1024 * 1024, 0x20);
    inflated.write('{"events":[', 0);
    bombCache = gzipSync(inflated, { level: 9 });
  }
  return bombCache;
}

export function materialize(spec: BodySpec): Materialized {
  switch (spec.kind) {
    case 'json':
      return { bytes: Buffer.from(toJsonText(spec.value), 'utf8') };
    case 'text':
      return { bytes: Buffer.from(spec.text, 'utf8') };
    case 'bytes':
      return { bytes: Buffer.from(spec.base64, 'base64') };
    case 'oversize': {
      const pad = Math.max(0, spec.bytes - 12);
      return { bytes: Buffer.from(`{"pad":"${'x'.repeat(pad)}"}`, 'utf8') };
    }
    case 'gzip': {
      const inner = materialize(spec.inner).bytes;
      const z = gzipSync(inner);
      if (spec.mode === 'truncated') return { bytes: z.subarray(0, Math.max(1, Math.floor(z.length * 0.6))), encoding: 'gzip' };
      if (spec.mode === 'corrupt') {
        const c = Buffer.from(z);
        for (let i = 10; i < c.length - 8; i += 7) c[i] ^= 0x5a;
        return { bytes: c, encoding: 'gzip' };
      }
      return { bytes: z, encoding: 'gzip' };
    }
    case 'deflate':
      return { bytes: deflateSync(materialize(spec.inner).bytes), encoding: 'deflate' };
    case 'bomb':
      return { bytes: bomb(), encoding: 'gzip' };
  }
}

/** A short description of a body for failure reports (the spec itself replays it). */
export function describeBody(spec: BodySpec | null): string {
  if (!spec) return '(none)';
  const s = JSON.stringify(spec, (_k, v) => (typeof v === 'string' && v.length > 300 ? `${v.slice(0, 120)}…(${v.length} chars)` : v));
  return s.length > 1_500 ? `${s.slice(0, 1_500)}…` : s;
}

// --- generators -----------------------------------------------------------------------------

/** Nested arrays or objects `depth` deep, as JSON text. */
export const deepText = (depth: number, kind: 'array' | 'object') =>
  kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Raw JSON leaves: deep nesting sized to fit `limit`, prototype keys, duplicates, number literals. */
export const rawLeaf = (limit: number): fc.Arbitrary<RawJson> =>
  fc.oneof(
    fc.tuple(fc.constantFrom(64, 200, 1_000, 5_000, 50_000, 500_000), fc.constantFrom<'array' | 'object'>('array', 'object')).map(([d, k]) => {
      const depth = Math.max(8, Math.min(d, Math.floor((limit - 200) / (k === 'array' ? 2 : 6))));
      return new RawJson(deepText(depth, k));
    }),
    fc.constantFrom(...NUMBER_LITERALS).map((n) => new RawJson(n)),
    fc.constantFrom(
      '{"__proto__":{"polluted":true,"isAdmin":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"a":1,"a":2}',
      '{"__proto__":[]}',
      '{"\\u0000":"\\u0000"}',
      '{"\\ud800":"\\udfff"}',
      '"\\ud800"',
      '"\\u0000"',
      '[1,2,3,]',
    ).map((t) => new RawJson(t)),
  );

/** Arbitrary JSON whose strings and keys are hostile, a few levels deep. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: hostileLeaf, weight: 5 },
    { arbitrary: fc.array(tie('node'), { maxLength: 4 }), weight: 1 },
    { arbitrary: fc.dictionary(hostileKey, tie('node'), { maxKeys: 4 }), weight: 1 },
  ),
})).node;

/** Non-JSON bodies: random bytes, forms, truncated JSON, a BOM, CSV, nothing. */
export const nonJsonBody: fc.Arbitrary<BodySpec> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => ({ kind: 'bytes' as const, base64: Buffer.from(b).toString('base64') })),
  fc.constantFrom(
    '', ' ', 'null', 'true', '0', '"just a string"', '[]', '{', '{"a":', '{"a":1', '[1,2', '\uFEFF{"distinct_id":"alice"}', 'distinct_id=alice&event=x',
    'distinct_id\nalice\n', '\u0000', '{"a":"\u0000"}', 'NaN', 'undefined', '{\'a\':1}', '<xml/>', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
  ).map((text) => ({ kind: 'text' as const, text })),
  hostileString.map((text) => ({ kind: 'text' as const, text })),
);

/** Every gzip and deflate state, around `inner`. */
export const encodedBody = (inner: fc.Arbitrary<BodySpec>): fc.Arbitrary<BodySpec> =>
  fc.oneof(
    { arbitrary: fc.tuple(inner, fc.constantFrom<'ok' | 'truncated' | 'corrupt'>('ok', 'ok', 'truncated', 'corrupt')).map(([b, mode]) => ({ kind: 'gzip' as const, inner: b, mode })), weight: 4 },
    { arbitrary: inner.map((b) => ({ kind: 'deflate' as const, inner: b })), weight: 1 },
    { arbitrary: fc.constant<BodySpec>({ kind: 'bomb' }), weight: 1 },
  );

export { hostileKey, hostileLeaf };
