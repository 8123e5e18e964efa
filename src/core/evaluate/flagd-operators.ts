/**
 * flagd's custom JSON Logic operators as its Go evaluator registers them (open-feature/flagd
 * core/pkg/evaluator: `string_comparison.go`, `semver.go`, `fractional.go`). Each receives
 * its arguments already evaluated and the evaluation data, and returns `null` as a VALUE on
 * invalid input: an enclosing `if` then takes its else branch, and only a null result of the
 * whole targeting serves the default variant (docs/flagd-semantics.md section 4).
 */
import { fractionalBucket } from './bucketing.js';
import { formatFloatV, isMap } from './flagd-go-values.js';
import { murmurhash3 } from './murmurhash.js';
import { endsWith } from './operators/ends-with.js';
import { semVer } from './operators/sem-ver.js';
import { startsWith } from './operators/starts-with.js';

const MAX_INT32 = 2_147_483_647;

type Variant = string | number | boolean | null;
interface Bucket {
  variant: Variant;
  weight: number;
}

/** `[variant, weight?]` entries (fractional.go#parseFractionalEvaluationDistributions); null when one is invalid. */
function parseBuckets(entries: readonly unknown[]): Bucket[] | null {
  const buckets: Bucket[] = [];
  let total = 0;
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length === 0) return null;
    const variant: unknown = entry[0];
    if (variant !== null && typeof variant !== 'string' && typeof variant !== 'number' && typeof variant !== 'boolean') return null;
    let weight = 1;
    if (entry.length >= 2 && entry[1] !== null) {
      const raw: unknown = entry[1];
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw > MAX_INT32) return null;
      // Negative weights count as 0 (flagd-testbed fractional-negative-weight-flag).
      weight = Math.max(0, raw);
    }
    total += weight;
    if (total > MAX_INT32) return null;
    buckets.push({ variant: variant as Variant, weight });
  }
  return buckets;
}

/** `$flagd.flagKey + targetingKey`, or null when targetingKey is not a string ("" is one). */
function implicitBucketingValue(data: unknown): string | null {
  if (!isMap(data)) return null;
  const targetingKey = data.targetingKey;
  if (typeof targetingKey !== 'string') return null;
  const flagd = data.$flagd;
  const flagKey = isMap(flagd) && typeof flagd.flagKey === 'string' ? flagd.flagKey : '';
  return flagKey + targetingKey;
}

/**
 * `fractional` (v2 bucketing): `[bucketing string?, [variant, weight?], ...]`. A first
 * element that is a string is the bucketing value; null is dropped and `$flagd.flagKey +
 * targetingKey` is used. bucket = (murmur3_x86_32(utf8) × totalWeight) >> 32; the first
 * bucket whose cumulative weight exceeds it wins. A single bucket resolves to its variant
 * without hashing, so it needs no bucketing value (flagd-testbed "Fractional operator with
 * single entry always resolves to the only variant"; flagd issue 1924). All weights 0, no
 * buckets, a malformed bucket or a missing bucketing value: null.
 */
export function flagdFractional(values: unknown, data: unknown): Variant {
  if (!Array.isArray(values) || values.length === 0) return null;
  let explicit: string | null = null;
  let entries: readonly unknown[] = values;
  if (typeof values[0] === 'string') {
    explicit = values[0];
    entries = values.slice(1);
  } else if (values[0] === null) {
    entries = values.slice(1);
  }
  const buckets = parseBuckets(entries);
  if (buckets === null || buckets.length === 0) return null;
  const total = buckets.reduce((sum, b) => sum + b.weight, 0);
  if (total === 0) return null;
  if (buckets.length === 1) return buckets[0].variant;
  const bucketBy = explicit ?? implicitBucketingValue(data);
  if (bucketBy === null) return null;
  const bucket = fractionalBucket(murmurhash3(bucketBy), total);
  let rangeEnd = 0;
  for (const b of buckets) {
    rangeEnd += b.weight;
    if (bucket < rangeEnd) return b.variant;
  }
  return null;
}

/** sem_ver's version operand: a string, or a number as Go's %v writes it (1e6 is "1e+06"). */
function versionText(value: unknown): unknown {
  return typeof value === 'number' ? formatFloatV(value) : value;
}

function flagdSemVer(values: unknown): boolean | null {
  if (!Array.isArray(values) || values.length !== 3) return null;
  return semVer([versionText(values[0]), values[1], versionText(values[2])]);
}

/** An operator of the flagd dialect: evaluated arguments and the data in, a value (null on error) out. */
export type FlagdOperator = (values: unknown, data: unknown) => unknown;

/** flagd's custom operators by name (registered in flagd-logic.ts's table). */
export const FLAGD_OPERATORS: Readonly<Record<string, FlagdOperator>> = {
  starts_with: (values) => (Array.isArray(values) ? startsWith(values) : null),
  ends_with: (values) => (Array.isArray(values) ? endsWith(values) : null),
  sem_ver: (values) => flagdSemVer(values),
  fractional: flagdFractional,
};
