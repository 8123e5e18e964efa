/**
 * `fractional` as native rules run it (flagd's "v2" high-precision bucketing; PRODUCT.md 7.4).
 * flagd-format flags use flagd-operators.ts#flagdFractional, which follows flagd's Go
 * evaluator where this one is stricter (an empty targetingKey, a single bucket):
 *   {"fractional": [<bucketing string>?, [variant, weight?], ...]}
 * - the hash input is the first argument when it evaluated to a string; otherwise (no
 *   expression, or one that evaluated to null) it is `$flagd.flagKey + targetingKey`,
 *   and a missing, non-string or empty targetingKey is an error;
 * - each bucket is `[variant, weight]`; variant a string, boolean, number or null; weight
 *   an integer (default 1, negative clamped to 0); weights sum to at most 2^31 - 1;
 * - hash = MurmurHash3 x86_32 (seed 0) of the UTF-8 bytes, unsigned;
 *   bucket = (hash × totalWeight) >> 32, and the first bucket whose cumulative weight
 *   exceeds it wins.
 * Invalid arguments (or all weights 0) return null, which voids a native rule's condition.
 */
import { fractionalBucket } from '../bucketing.js';
import { murmurhash3 } from '../murmurhash.js';

const MAX_INT32 = 2_147_483_647;

/** What a fractional bucket can resolve to (flagd accepts these variant types). */
export type FractionalVariant = string | number | boolean | null;

interface Bucket {
  variant: FractionalVariant;
  weight: number;
}

function isVariant(value: unknown): value is FractionalVariant {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number';
}

/** Parses `[variant, weight?]` entries; null if any entry is malformed. */
function parseBuckets(entries: readonly unknown[]): Bucket[] | null {
  const buckets: Bucket[] = [];
  let total = 0;
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length === 0 || !isVariant(entry[0])) return null;
    let weight = 1;
    if (entry.length >= 2 && entry[1] !== null && entry[1] !== undefined) {
      const raw: unknown = entry[1];
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw > MAX_INT32) return null;
      weight = Math.max(0, raw);
    }
    total += weight;
    if (total > MAX_INT32) return null;
    buckets.push({ variant: entry[0], weight });
  }
  return buckets;
}

/** Reads `targetingKey` and `$flagd.flagKey` from the evaluation data. */
function implicitBucketingValue(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const record = data as Record<string, unknown>;
  const targetingKey = record.targetingKey;
  if (typeof targetingKey !== 'string' || targetingKey === '') return null;
  const flagd = record.$flagd;
  const flagKey =
    typeof flagd === 'object' && flagd !== null ? (flagd as Record<string, unknown>).flagKey : undefined;
  return (typeof flagKey === 'string' ? flagKey : '') + targetingKey;
}

/**
 * The `fractional` operator. `args` are the already-evaluated arguments; `data` is the
 * evaluation context (it supplies `targetingKey` and `$flagd.flagKey`).
 */
export function fractional(args: readonly unknown[], data: unknown): FractionalVariant {
  if (args.length === 0) return null;
  let bucketBy: string | null;
  let entries: readonly unknown[];
  if (typeof args[0] === 'string') {
    bucketBy = args[0];
    entries = args.slice(1);
  } else {
    // A bucketing expression that evaluated to null/undefined (a missing property) is dropped.
    entries = args[0] === null || args[0] === undefined ? args.slice(1) : args;
    bucketBy = implicitBucketingValue(data);
  }
  if (bucketBy === null || entries.length === 0) return null;
  const buckets = parseBuckets(entries);
  if (buckets === null) return null;
  const total = buckets.reduce((sum, b) => sum + b.weight, 0);
  if (total === 0) return null;
  const bucket = fractionalBucket(murmurhash3(bucketBy), total);
  let rangeEnd = 0;
  for (const b of buckets) {
    rangeEnd += b.weight;
    if (bucket < rangeEnd) return b.variant;
  }
  return null;
}
