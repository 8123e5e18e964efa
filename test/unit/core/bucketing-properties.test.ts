/**
 * Statistical and structural properties of bucketing (PRODUCT.md 5): determinism,
 * monotonic rollouts, uniform splits, and independence of the gate and the split.
 */
import { describe, expect, it } from 'vitest';
import { bucketOf, compileFlag, evaluate, gateInput, splitInput, type CompiledFlag, type DecisionInput } from '../../../src/core/index.js';

const keys = (n: number, prefix = 'user-'): string[] => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? `${prefix}${i}` : `${i * 7919}@example.com`));

function input(key: string): DecisionInput {
  return { distinctId: key, bucketingKey: key, properties: {}, cohorts: new Set(), cohortStatus: new Map(), now: 0 };
}

function native(raw: Record<string, unknown>): CompiledFlag {
  const result = compileFlag(raw);
  if (!result.ok || result.def.format !== 'native') throw new Error(JSON.stringify(result));
  return result.def;
}

const rolloutFlag = (rollout: number) => native({ key: 'new-checkout', enabled: true, rules: [{ id: 'gate', rollout, serve: { variant: 'on' } }] });

describe('determinism', () => {
  it('gives the same bucket and decision for the same input, every time', () => {
    const flag = native({ key: 'exp', enabled: true, kind: 'multivariate', variants: { a: { value: 1 }, b: { value: 2 } }, default_variant: 'a', rules: [{ id: 'r', rollout: 50, serve: { split: [{ variant: 'a', weight: 50 }, { variant: 'b', weight: 50 }] } }] });
    for (const key of keys(1000)) {
      expect(bucketOf(gateInput('exp', key))).toBe(bucketOf(gateInput('exp', key)));
      expect(evaluate(flag, input(key))).toEqual(evaluate(flag, input(key)));
    }
  });
});

describe('monotonic rollouts', () => {
  it.each([
    [0.001, 0.002],
    [5, 25],
    [33.333, 33.334],
    [49.999, 50],
    [50, 99.999],
    [0, 100],
  ])('raising %d %% to %d %% keeps everyone who was in (10,000 keys)', (p, q) => {
    const before = rolloutFlag(p);
    const after = rolloutFlag(q);
    for (const key of keys(10_000)) {
      if (evaluate(before, input(key)).value === true) expect(evaluate(after, input(key)).value, key).toBe(true);
    }
  });
});

describe('uniformity (100,000 keys)', () => {
  const sample = keys(100_000);

  it('lets in each rollout percentage within 1 % absolute', () => {
    for (const p of [1, 10, 25, 50, 75]) {
      const threshold = p * 1000;
      const inside = sample.filter((key) => bucketOf(gateInput('uniformity', key)) < threshold).length;
      expect(Math.abs(inside / sample.length - p / 100), `${p} %`).toBeLessThan(0.01);
    }
  });

  it('serves each split arm within 1 % absolute of its weight', () => {
    const flag = native({
      key: 'three-way',
      enabled: true,
      kind: 'multivariate',
      variants: { a: { value: 'a' }, b: { value: 'b' }, c: { value: 'c' } },
      default_variant: 'a',
      rules: [{ id: 'split', serve: { split: [{ variant: 'a', weight: 50 }, { variant: 'b', weight: 30 }, { variant: 'c', weight: 20 }] } }],
    });
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (const key of sample) counts[evaluate(flag, input(key)).variant as string]++;
    expect(Math.abs(counts.a / sample.length - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(counts.b / sample.length - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(counts.c / sample.length - 0.2)).toBeLessThan(0.01);
  });

  it('does not correlate the gate and the split: a 50/50 split inside a 50 % rollout stays 50 ± 1 %', () => {
    let inside = 0;
    let firstArm = 0;
    for (const key of sample) {
      if (bucketOf(gateInput('corr', key)) >= 50_000) continue;
      inside++;
      if (bucketOf(splitInput('corr', key)) < 50_000) firstArm++;
    }
    expect(Math.abs(inside / sample.length - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(firstArm / inside - 0.5)).toBeLessThan(0.01);
  });

  it('does not correlate two flags with different salts', () => {
    let both = 0;
    for (const key of sample) if (bucketOf(gateInput('flag-a', key)) < 50_000 && bucketOf(gateInput('flag-b', key)) < 50_000) both++;
    expect(Math.abs(both / sample.length - 0.25)).toBeLessThan(0.01);
  });
});
