import { describe, expect, it } from 'vitest';
import { freshRuleId, move, roundPercent, splitTotal, variantNames } from '../../../console/src/editor/rules-model.js';

describe('console rule editor model', () => {
  it('moves a rule to another position', () => {
    expect(move(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(move(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(move(['a', 'b'], 0, 5)).toEqual(['a', 'b']);
  });

  it('keeps rollouts and split weights in 0.001 % units', () => {
    expect(roundPercent(12.34567)).toBe(12.346);
    expect(roundPercent(101)).toBe(100);
    expect(splitTotal([33.333, 33.333, 33.334])).toEqual({ milli: 100_000, ok: true });
    expect(splitTotal([0.1, 0.2, 99.7]).ok).toBe(true);
    expect(splitTotal([50, 40.5])).toEqual({ milli: 90_500, ok: false });
  });

  it('names new rules and lists variants', () => {
    expect(freshRuleId([{ id: 'rule-2' }, { id: 'x' }])).toBe('rule-3');
    expect(freshRuleId([{ id: 'rule-1' }])).toBe('rule-2');
    expect(variantNames({})).toEqual(['on', 'off']);
    expect(variantNames({ variants: { a: {}, b: {} } })).toEqual(['a', 'b']);
  });
});
