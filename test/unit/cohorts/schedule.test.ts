import { describe, expect, it } from 'vitest';
import {
  TIER_INTERVAL_S,
  backoffMs,
  dependencyOrder,
  effectiveInterval,
  nextRunAt,
  nextSlot,
  phaseOf,
} from '../../../src/refresher/schedule.js';

/** Largest bucket count when phases are dropped into `buckets` equal slices of the interval. */
function fullestBucket(ids: number[], intervalS: number, buckets: number): number {
  const counts = new Array<number>(buckets).fill(0);
  for (const id of ids) counts[Math.floor((phaseOf(id, intervalS) / intervalS) * buckets)]++;
  return Math.max(...counts);
}

describe('tier intervals', () => {
  it('uses the tier interval unless the cohort asks for slower, never faster', () => {
    expect(TIER_INTERVAL_S).toEqual({ hobby: 1800, pro: 300, growth: 60, enterprise: 30 });
    expect(effectiveInterval('pro', null)).toBe(300);
    expect(effectiveInterval('pro', 60)).toBe(300);
    expect(effectiveInterval('pro', 900)).toBe(900);
    expect(effectiveInterval('enterprise', 1)).toBe(30);
    expect(effectiveInterval('hobby', 600)).toBe(1800);
  });
});

describe('stagger', () => {
  it.each([1, 17, 1000, 123_456, 2 ** 32 - 50, 9_007_199_254_000])(
    '100 consecutive cohort ids from %i spread evenly over the interval',
    (start) => {
      const ids = Array.from({ length: 100 }, (_, i) => start + i);
      for (const [tier, intervalS] of Object.entries(TIER_INTERVAL_S)) {
        // fair share 10 per bucket of 10; a Weyl sequence stays within one of it
        expect(fullestBucket(ids, intervalS, 10), tier).toBeLessThanOrEqual(11);
        // fair share 5 per bucket of 20
        expect(fullestBucket(ids, intervalS, 20), tier).toBeLessThanOrEqual(6);
      }
    },
  );

  it('gives each cohort one fixed phase inside [0, interval)', () => {
    for (let id = 1; id < 500; id++) {
      const p = phaseOf(id, 30);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(30);
      expect(phaseOf(id, 30)).toBe(p);
    }
    expect(new Set(Array.from({ length: 100 }, (_, i) => phaseOf(i + 1, 300))).size).toBe(100);
  });
});

describe('next run', () => {
  it('is the next instant after now that sits on the phase', () => {
    const t0 = 1_699_999_980_000; // a multiple of 30 s
    expect(t0 % 30_000).toBe(0);
    expect(nextRunAt(t0, 30, 7.5)).toBe(t0 + 7_500);
    expect(nextRunAt(t0 + 7_499, 30, 7.5)).toBe(t0 + 7_500);
    expect(nextRunAt(t0 + 7_500, 30, 7.5)).toBe(t0 + 37_500); // strictly after now
    expect(nextRunAt(t0 + 20_000, 30, 0)).toBe(t0 + 30_000);
  });

  it('lands on the cohort phase for every tier, one interval apart', () => {
    const now = 1_700_000_123_456;
    for (const tier of ['hobby', 'pro', 'growth', 'enterprise'] as const) {
      const intervalS = TIER_INTERVAL_S[tier];
      const a = nextSlot(now, { id: 42, tier, refreshIntervalS: null });
      expect(a).toBeGreaterThan(now);
      expect(a - now).toBeLessThanOrEqual(intervalS * 1000);
      expect(((a % (intervalS * 1000)) / 1000)).toBeCloseTo(phaseOf(42, intervalS), 3);
      expect(nextSlot(a, { id: 42, tier, refreshIntervalS: null })).toBe(a + intervalS * 1000);
    }
  });
});

describe('backoff', () => {
  it('doubles per consecutive failure from one interval, capped at an hour, with deterministic jitter', () => {
    expect(backoffMs(0, 30, 5)).toBe(0);
    const expected = [30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000];
    expected.forEach((base, i) => {
      const b = backoffMs(i + 1, 30, 5);
      expect(b).toBeGreaterThanOrEqual(base);
      expect(b).toBeLessThanOrEqual(base * 1.1);
      expect(backoffMs(i + 1, 30, 5)).toBe(b);
    });
    expect(backoffMs(50, 30, 5)).toBeLessThanOrEqual(3_960_000);
    // an interval longer than an hour is never shortened by the cap
    expect(backoffMs(1, 7200, 5)).toBeGreaterThanOrEqual(7_200_000);
  });

  it('spreads the retries of cohorts that failed together', () => {
    const retries = new Set(Array.from({ length: 20 }, (_, i) => backoffMs(3, 60, i + 1)));
    expect(retries.size).toBeGreaterThan(15);
  });
});

describe('dependency order', () => {
  it('puts every cohort after the cohorts it references', () => {
    const nodes = [
      { id: 1, key: 'c', refs: ['b', 'a'] },
      { id: 2, key: 'b', refs: ['a'] },
      { id: 3, key: 'x', refs: [] },
      { id: 4, key: 'a', refs: ['not-in-batch'] },
    ];
    expect(dependencyOrder(nodes).map((n) => n.key)).toEqual(['x', 'a', 'b', 'c']);
  });

  it('keeps cycles instead of dropping them', () => {
    const nodes = [
      { id: 1, key: 'a', refs: ['b'] },
      { id: 2, key: 'b', refs: ['a'] },
      { id: 3, key: 'c', refs: [] },
    ];
    expect(dependencyOrder(nodes).map((n) => n.key)).toEqual(['c', 'a', 'b']);
  });
});
