/**
 * Deterministic bucketing (PRODUCT.md 5): MurmurHash3 x86_32, seed 0, over UTF-8 bytes,
 * scaled to [0, 100000) without modulo bias. Rollout gate and split use different inputs
 * (`<salt>:<key>` and `<salt>:split:<key>`) so gating and splitting do not correlate.
 */
import { murmurhash3 } from './murmurhash.js';

/** Number of buckets: 100 % in steps of 0.001 %. */
export const BUCKETS = 100_000;

/** The hash algorithm version new definitions get; it travels with each definition. */
export const HASH_VERSION = 1;

/** Hash versions this core can evaluate; anything else answers ERROR / PARSE_ERROR. */
export const SUPPORTED_HASH_VERSIONS: readonly number[] = [1];

const TWO_POW_32 = 4_294_967_296;

/**
 * Bucket in [0, 100000) of `input`: floor(hash × 100000 / 2^32).
 * hash × 100000 < 2^49, so the product and the division by a power of two are exact.
 */
export function bucketOf(input: string): number {
  return Math.floor((murmurhash3(input) * BUCKETS) / TWO_POW_32);
}

/** Hash input of the rollout gate: `<salt>:<bucketing key>`. */
export function gateInput(salt: string, key: string): string {
  return `${salt}:${key}`;
}

/** Hash input of a split: `<salt>:split:<bucketing key>`. */
export function splitInput(salt: string, key: string): string {
  return `${salt}:split:${key}`;
}

/**
 * Threshold of a rollout percentage p in [0, 100] (up to 3 decimals): round(p × 1000).
 * A key is inside the rollout when its gate bucket is below the threshold, so raising p
 * only adds keys (monotonic), 0 % lets nobody in and 100 % everybody.
 */
export function rolloutThreshold(percentage: number): number {
  return Math.round(percentage * 1000);
}

/**
 * Cumulative upper bounds of split arms from weights in percent (summing to 100).
 * Arm i owns buckets [upper[i-1], upper[i]). Returns null if the weights, in 0.001 %
 * units, do not add up to exactly 100000.
 */
export function splitUpperBounds(weights: readonly number[]): number[] | null {
  const uppers: number[] = [];
  let sum = 0;
  for (const weight of weights) {
    sum += Math.round(weight * 1000);
    uppers.push(sum);
  }
  return sum === BUCKETS ? uppers : null;
}

/** Index of the split arm owning `bucket` (first upper bound above it). */
export function pickArm(bucket: number, uppers: readonly number[]): number {
  for (let i = 0; i < uppers.length; i++) {
    if (bucket < uppers[i]) return i;
  }
  return uppers.length - 1;
}

/**
 * flagd's fractional bucket: (hash × totalWeight) >> 32, computed exactly.
 * hash < 2^32 and totalWeight < 2^31 make the product exceed 2^53, so it is split into
 * 16-bit halves: floor((hi·T·2^16 + lo·T) / 2^32) = floor((hi·T + floor(lo·T / 2^16)) / 2^16).
 */
export function fractionalBucket(hash: number, totalWeight: number): number {
  const hi = hash >>> 16;
  const lo = hash & 0xffff;
  const carry = Math.floor((lo * totalWeight) / 65_536);
  return Math.floor((hi * totalWeight + carry) / 65_536);
}
