import type { CompiledQuery } from '../../src/cohorts/compiler.js';
import type { CohortQueryLimits, CohortQueryRunner } from '../../src/ports/cohort-query-runner.js';

/** Answers one compiled query: member person ids, or a rejection (a PostgreSQL error). */
export type FakeQueryAnswer = (q: CompiledQuery, limits?: CohortQueryLimits) => number[] | Promise<number[]>;

/**
 * A cohort query runner that does not run SQL: `answer` decides the members (default:
 * none). It cannot tell whether the compiled SQL is right; that is what the real
 * PostgreSQL tests (test/integration/cohort-filters.test.ts) are for. Inspection: `calls`
 * (each query and its limits); `answerWith(fn)` replaces the answer.
 */
export function createFakeCohortQueryRunner(answer: FakeQueryAnswer = () => []) {
  const calls: Array<{ q: CompiledQuery; limits?: CohortQueryLimits }> = [];
  let current = answer;
  const run = (async (q: CompiledQuery, limits?: CohortQueryLimits) => {
    calls.push({ q, limits });
    return [...(await current(q, limits))];
  }) as CohortQueryRunner & { calls: typeof calls; answerWith(fn: FakeQueryAnswer): void };
  run.calls = calls;
  run.answerWith = (fn) => void (current = fn);
  return run;
}

export type FakeCohortQueryRunner = ReturnType<typeof createFakeCohortQueryRunner>;
