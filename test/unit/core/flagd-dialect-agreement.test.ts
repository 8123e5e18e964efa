/**
 * The flagd dialect (flagd's Go evaluator: diegoholiveira/jsonlogic v3) and the native
 * compiler (json-logic-js) on random expressions from the part of JSON Logic where the two
 * libraries agree (present operands of one type, strings without surrounding spaces,
 * in-range indexes, valid custom-operator arguments): the dialect must give the same result.
 * Where they differ (docs/flagd-semantics.md section 5) the corpus test/cases/flagd/ rules.
 */
import fc from 'fast-check';
import { it } from 'vitest';
import { applyFlagdLogic, compileLogic, GoPanic } from '../../../src/core/index.js';

const str = fc.constantFrom('a', 'b', 'abc', 'user-1', 'x@faas.com', '1.0.0', '2.1.0');
const int = fc.integer({ min: -3, max: 5 });
const ctx = fc.record({ s: str, t: str, n: int, m: int, b: fc.boolean(), l: fc.array(str, { maxLength: 3 }) });
const leaf = fc.oneof(str, int, fc.boolean(), fc.constantFrom({ var: 's' }, { var: 't' }, { var: 'n' }, { var: 'm' }, { var: 'b' }));
const strE = fc.oneof(str, fc.constantFrom({ var: 's' }, { var: 't' }));
const numE = fc.oneof(int, fc.constantFrom({ var: 'n' }, { var: 'm' }));
const { cond } = fc.letrec((tie) => ({
  cond: fc.oneof(
    { depthSize: 'small' },
    fc.tuple(fc.constantFrom('==', '!=', '===', '!=='), leaf, leaf).map(([o, a, b]) => ({ [o]: [a, b] })),
    fc.tuple(fc.constantFrom('<', '>', '<=', '>='), numE, numE).map(([o, a, b]) => ({ [o]: [a, b] })),
    fc.tuple(fc.constantFrom('<', '>', '<=', '>='), strE, strE).map(([o, a, b]) => ({ [o]: [a, b] })),
    fc.tuple(strE, fc.array(str, { maxLength: 3 })).map(([a, b]) => ({ in: [a, b] })),
    fc.tuple(strE, fc.constant({ var: 'l' })).map(([a, b]) => ({ in: [a, b] })),
    fc.tuple(strE, str).map(([a, b]) => ({ in: [a, b] })),
    fc.tuple(fc.constantFrom('starts_with', 'ends_with'), strE, strE).map(([o, a, b]) => ({ [o]: [a, b] })),
    fc.tuple(fc.constantFrom('and', 'or'), fc.array(tie('cond'), { minLength: 1, maxLength: 3 })).map(([o, a]) => ({ [o]: a })),
    tie('cond').map((c) => ({ '!': [c] })),
    tie('cond').map((c) => ({ '!!': [c] })),
    fc.constantFrom({ var: 'b' }),
  ),
}));
const { expr } = fc.letrec((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small' },
    str,
    fc.tuple(cond, tie('expr'), tie('expr')).map(([c, a, b]) => ({ if: [c, a, b] })),
    fc.array(strE, { minLength: 2, maxLength: 3 }).map((a) => ({ cat: a })),
    fc.tuple(numE, numE, fc.constantFrom('+', '-', '*')).map(([a, b, o]) => ({ [o]: [a, b] })),
    cond,
  ),
}));

it('agrees with json-logic-js on 5,000 random expressions where the libraries agree', () => {
  fc.assert(fc.property(expr, ctx, (rule, c) => {
    const data = { ...c, $flagd: { flagKey: 'f', timestamp: 1 } };
    const js = compileLogic(rule)(data);
    let go: unknown;
    try {
      go = applyFlagdLogic(rule, data);
    } catch (e) {
      if (e instanceof GoPanic) throw new Error(`panic ${e.message} in ${JSON.stringify(rule)}`);
      throw e;
    }
    if (JSON.stringify(js) !== JSON.stringify(go)) throw new Error(`${JSON.stringify(rule)} ctx=${JSON.stringify(c)} js=${JSON.stringify(js)} go=${JSON.stringify(go)}`);
  }), { numRuns: 5000, seed: 1 });
});
