/**
 * The pre-compiled JSON Logic must behave exactly as json-logic-js (with flagd's operators):
 * a differential test over random expressions and data, plus the documented edge cases.
 */
import { describe, expect, it } from 'vitest';
import { OperatorAbort, runLogic, compileLogic } from '../../../src/core/index.js';

/** Small deterministic PRNG (LCG) so failures reproduce. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] };
}

const LEAVES: unknown[] = [0, 1, -1, 2.5, 10, '', '0', '1', 'a', 'abc', 'b.c', '1.2.3', 'v2', true, false, null, [], [1, 2], ['a', 'b']];
const PATHS = ['a', 'n', 's', 'b.c', 'list', 'missing', 'v', '', 'b', 'list.0'];
const OPERATORS = [
  '==', '===', '!=', '!==', '>', '>=', '<', '<=', '!', '!!', 'and', 'or', 'if', '?:', 'in', 'cat', 'substr', '+', '-',
  '*', '/', '%', 'min', 'max', 'merge', 'missing', 'some', 'map', 'starts_with', 'ends_with', 'sem_ver',
];
const SEM_VER_OPS = ['=', '!=', '<', '<=', '>', '>=', '^', '~', '=>'];

function expression(r: ReturnType<typeof prng>, depth: number): unknown {
  const roll = r.next();
  if (depth <= 0 || roll < 0.25) return r.pick(LEAVES);
  if (roll < 0.45) return r.next() < 0.8 ? { var: r.pick(PATHS) } : { var: [r.pick(PATHS), r.pick(LEAVES)] };
  const op = r.pick(OPERATORS);
  const arity = Math.floor(r.next() * 4);
  const args = Array.from({ length: arity }, () => expression(r, depth - 1));
  if (op === 'sem_ver') return { sem_ver: [args[0] ?? { var: 'v' }, r.pick(SEM_VER_OPS), r.pick(['1.2.3', 'v2', '1', 'x'])] };
  if (op === 'some' || op === 'map') return { [op]: [{ var: 'list' }, args[0] ?? { var: '' }] };
  if (op === '!' && r.next() < 0.5) return { '!': args[0] ?? true };
  return { [op]: args };
}

function data(r: ReturnType<typeof prng>): Record<string, unknown> {
  return {
    a: r.pick(LEAVES),
    n: r.pick([0, 1, 7, -3, 2.5, '4']),
    s: r.pick(['abc', 'xyz', '', 'abcxyz']),
    b: r.pick([{ c: r.pick(LEAVES) }, null, 'str']),
    list: r.pick([[1, 2, 3], [], ['a', 'b'], [0, '', null]]),
    v: r.pick(['1.2.3', 'v2.0', '1', 'nope', 2]),
    targetingKey: r.pick(['user-1', 'user-2']),
    $flagd: { flagKey: 'f', timestamp: 1 },
  };
}

function outcome(run: () => unknown): unknown {
  try {
    const value = run();
    return value instanceof OperatorAbort ? { abort: value.operator } : { value };
  } catch (error) {
    return error instanceof OperatorAbort ? { abort: error.operator } : { throws: true };
  }
}

describe('compiled JSON Logic', () => {
  it('agrees with json-logic-js on 20,000 random expressions', () => {
    const r = prng(42);
    for (let i = 0; i < 20_000; i++) {
      // Through JSON, as definitions and requests arrive: no object is shared between or within them.
      const expr: unknown = JSON.parse(JSON.stringify(expression(r, 4)));
      const context: unknown = JSON.parse(JSON.stringify(data(r)));
      const expected = outcome(() => runLogic(expr, context));
      const actual = outcome(() => compileLogic(expr)(context));
      expect(actual, JSON.stringify({ expr, context })).toEqual(expected);
    }
  });

  it.each([
    [{ var: '' }, { x: 1 }, { x: 1 }],
    [{ var: ['missing', 'fallback'] }, {}, 'fallback'],
    [{ var: 'a.b.c' }, { a: { b: { c: 3 } } }, 3],
    [{ var: 'list.1' }, { list: ['x', 'y'] }, 'y'],
    [{ if: [] }, {}, null],
    [{ if: [false, 1] }, {}, null],
    [{ if: [false, 1, false, 2, 3] }, {}, 3],
    [{ and: [] }, {}, undefined],
    [{ or: [0, '', 'x'] }, {}, 'x'],
    [{ '!': [[]] }, {}, true],
    [{ '<': [1, 2, 3] }, {}, true],
    [{ substr: ['jsonlogic', 4, -2] }, {}, 'log'],
    [{ '+': ['1', 2] }, {}, 3],
    [{ '*': ['2'] }, {}, '2'],
    [{ merge: [1, [2, 3], [[4]]] }, {}, [1, 2, 3, [4]]],
    [{ in: ['Spring', 'Springfield'] }, {}, true],
    [{ cat: ['a', null, 1] }, {}, 'a1'],
  ])('%j with %j -> %j', (expr, context, expected) => {
    expect(compileLogic(expr)(context)).toEqual(expected);
    expect(runLogic(expr, context)).toEqual(expected);
  });

  it('treats objects with several keys and constant arrays as literals', () => {
    expect(compileLogic({ a: 1, b: 2 })({})).toEqual({ a: 1, b: 2 });
    expect(compileLogic([1, { var: 'x' }])({ x: 2 })).toEqual([1, 2]);
  });
});
