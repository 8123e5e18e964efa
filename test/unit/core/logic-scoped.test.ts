/**
 * The scoped operators (map, filter, reduce, all, none, some) and missing/missing_some are
 * compiled by us, not delegated to json-logic-js: a differential test against json-logic-js
 * (the reference interpreter, compile/reference-logic.ts) over random expressions that nest
 * them. `==` is left out: array literals are shared by design (logic-compiler.ts).
 */
import { describe, expect, it } from 'vitest';
import { OperatorAbort, runLogic, compileLogic } from '../../../src/core/index.js';

function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] };
}
type Rng = ReturnType<typeof prng>;

const LEAVES: unknown[] = [0, 1, -1, 2.5, '', '0', 'a', 'b.c', true, false, null, [], [1, 2], ['a', 'b'], ['n']];
const PATHS = ['a', 'n', 's', 'b.c', 'list', 'missing', '', 'b', 'list.0', 'current', 'accumulator'];
const OPERATORS = ['!', '!!', 'and', 'or', 'if', 'in', 'cat', '+', 'merge', 'missing', 'missing_some', 'some', 'map', 'filter', 'all', 'none', 'reduce', 'starts_with'];

function expression(r: Rng, depth: number): unknown {
  const roll = r.next();
  if (depth <= 0 || roll < 0.25) return r.pick(LEAVES);
  if (roll < 0.45) return r.next() < 0.8 ? { var: r.pick(PATHS) } : { var: [r.pick(PATHS), r.pick(LEAVES)] };
  const args = Array.from({ length: Math.floor(r.next() * 4) }, () => expression(r, depth - 1));
  return { [r.pick(OPERATORS)]: args };
}

const data = (r: Rng) => ({
  a: r.pick(LEAVES),
  n: r.pick([0, 1, '4']),
  s: 'abc',
  b: r.pick([{ c: 1 }, null]),
  list: r.pick([[1, 2, 3], [], ['a', 'b'], [0, '', null], [{ c: 2 }, { c: 0 }]]),
});

function outcome(run: () => unknown): unknown {
  try {
    const value = run();
    return value instanceof OperatorAbort ? { abort: value.operator } : { value };
  } catch (error) {
    return error instanceof OperatorAbort ? { abort: error.operator } : { throws: true };
  }
}

describe('compiled scoped operators', () => {
  it.each([7, 8])('agree with json-logic-js on 10,000 random expressions (seed %i)', (seed) => {
    const r = prng(seed);
    for (let i = 0; i < 10_000; i++) {
      const expr = expression(r, 4);
      const context = data(r);
      expect(outcome(() => compileLogic(expr)(context)), JSON.stringify({ expr, context })).toEqual(outcome(() => runLogic(expr, context)));
    }
  });
});
