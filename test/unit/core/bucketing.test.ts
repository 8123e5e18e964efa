import { describe, expect, it } from 'vitest';
import hashVectors from '../../cases/hash-vectors.json' with { type: 'json' };
import { splitInput, rolloutThreshold, murmurhash3, gateInput, bucketOf, BUCKETS, fractionalBucket, pickArm, splitUpperBounds } from '../../../src/core/index.js';

/**
 * Independent reference: MurmurHash3_x86_32 as published by Austin Appleby (smhasher,
 * MurmurHash3.cpp), over a Uint8Array, little-endian blocks, seed 0.
 */
function referenceMurmur3(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h1 = seed >>> 0;
  const blocks = bytes.length >> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    let k1 = bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24);
    k1 = Math.imul(k1, c1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, c2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  let k1 = 0;
  switch (bytes.length & 3) {
    case 3:
      k1 ^= bytes[tail + 2] << 16;
    // falls through
    case 2:
      k1 ^= bytes[tail + 1] << 8;
    // falls through
    case 1:
      k1 ^= bytes[tail];
      k1 = Math.imul(k1, c1);
      k1 = (k1 << 15) | (k1 >>> 17);
      k1 = Math.imul(k1, c2);
      h1 ^= k1;
  }
  h1 ^= bytes.length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('reference MurmurHash3 x86_32 (sanity: published vectors)', () => {
  it.each([
    ['', 0],
    ['hello', 0x248bfa47],
    ['The quick brown fox jumps over the lazy dog', 0x2e4ff723],
    ['Hello, world!', 0xc0363e43],
  ])('%j -> %d', (input, expected) => {
    expect(referenceMurmur3(utf8(input))).toBe(expected);
    expect(murmurhash3(input)).toBe(expected);
  });
});

describe('golden hash vectors (test/cases/hash-vectors.json)', () => {
  it('covers ASCII, non-ASCII, emoji and the empty string', () => {
    const inputs = hashVectors.vectors.map((v) => v.input);
    expect(inputs).toContain('');
    expect(inputs).toContain('café');
    expect(inputs).toContain('日本語');
    expect(inputs.some((s) => /\p{Extended_Pictographic}/u.test(s))).toBe(true);
  });

  it.each(hashVectors.vectors)('$input -> $hash / bucket $bucket', ({ input, hash, bucket }) => {
    expect(referenceMurmur3(utf8(input))).toBe(hash);
    expect(murmurhash3(input)).toBe(hash);
    expect(bucket).toBe(Math.floor((hash * BUCKETS) / 2 ** 32));
    expect(bucketOf(input)).toBe(bucket);
  });

  it('agrees with the reference on random non-ASCII strings', () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const alphabet = ['a', 'Z', '0', 'é', 'ß', 'Ж', '中', '日', '🚀', '😀', '\u0000', ':', ' '];
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const length = next() % 24;
      for (let j = 0; j < length; j++) s += alphabet[next() % alphabet.length];
      expect(murmurhash3(s)).toBe(referenceMurmur3(utf8(s)));
    }
  });
});

describe('bucketing helpers', () => {
  it('builds gate and split inputs from the salt', () => {
    expect(gateInput('new-checkout', 'user-42')).toBe('new-checkout:user-42');
    expect(splitInput('new-checkout', 'user-42')).toBe('new-checkout:split:user-42');
  });

  it('turns percentages into thresholds in 0.001 % steps', () => {
    expect(rolloutThreshold(0)).toBe(0);
    expect(rolloutThreshold(12.345)).toBe(12345);
    expect(rolloutThreshold(33.333)).toBe(33333);
    expect(rolloutThreshold(100)).toBe(100000);
  });

  it('precomputes cumulative split bounds and refuses sums other than 100', () => {
    expect(splitUpperBounds([33.333, 33.333, 33.334])).toEqual([33333, 66666, 100000]);
    expect(splitUpperBounds([50, 40])).toBeNull();
    expect(pickArm(0, [50000, 100000])).toBe(0);
    expect(pickArm(49999, [50000, 100000])).toBe(0);
    expect(pickArm(50000, [50000, 100000])).toBe(1);
    expect(pickArm(99999, [0, 100000])).toBe(1);
  });

  it('computes flagd fractional buckets exactly ((hash * total) >> 32)', () => {
    const exact = (hash: number, total: number) => Number((BigInt(hash) * BigInt(total)) >> 32n);
    const hashes = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 123456789, 3999999999];
    const totals = [1, 2, 3, 100, 7919, 2 ** 31 - 1];
    for (const h of hashes) for (const t of totals) expect(fractionalBucket(h, t)).toBe(exact(h, t));
  });
});
