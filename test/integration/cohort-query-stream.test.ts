/**
 * The streamed cohort query runner (src/adapters/postgres/cohort-query-runner.ts, issue 16):
 * one plain execution of the statement (no cursor, so PostgreSQL may plan it in parallel),
 * rows handed on in batches, the transaction's limits applied, and the connection never
 * returned to the pool half read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCohortQueryStream, STREAM_BATCH } from '../../src/adapters/postgres/cohort-query-runner.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  await t.cleanup();
});

const series = (n: number, extra = '') => ({ text: `SELECT n::bigint FROM generate_series(1, $1::int) AS n${extra}`, values: [n] });

describe('the streamed cohort query runner', () => {
  it('yields every row in order, in batches of at most STREAM_BATCH, also to a slow consumer', async () => {
    const stream = createCohortQueryStream(t.pool);
    const seen: number[] = [];
    let batches = 0;
    for await (const batch of stream(series(3 * STREAM_BATCH + 7))) {
      expect(batch.length).toBeLessThanOrEqual(STREAM_BATCH);
      batches++;
      for (const id of batch) seen.push(id);
      await new Promise((r) => setTimeout(r, 20)); // the socket is paused meanwhile
    }
    expect(batches).toBe(4);
    expect(seen).toEqual(Array.from({ length: 3 * STREAM_BATCH + 7 }, (_, i) => i + 1));
    expect(t.pool.totalCount - t.pool.idleCount).toBe(0);
  });

  it('runs read-only, with JIT off and the given limits, and nothing leaks to the pooled connection', async () => {
    const stream = createCohortQueryStream(t.pool);
    const q = {
      text: "SELECT (current_setting('jit') = 'off')::int + 2 * (current_setting('work_mem') = '5MB')::int + 4 * (current_setting('transaction_read_only') = 'on')::int",
      values: [],
    };
    const got: number[] = [];
    for await (const b of stream(q, { workMem: '5MB' })) got.push(...b);
    expect(got).toEqual([7]);
    const after = await t.pool.query<{ w: string }>("SELECT current_setting('work_mem') AS w");
    expect(after.rows[0].w).not.toBe('5MB');
  });

  it('rejects with the database error of a statement failing half way, and the pool stays usable', async () => {
    const stream = createCohortQueryStream(t.pool);
    // Division by zero at row 25,000: after two batches went out.
    const failing = { text: 'SELECT (1 / (25000 - n))::bigint * 0 + n FROM generate_series(1, 50000) AS n', values: [] };
    let rows = 0;
    const run = async () => {
      for await (const b of stream(failing)) rows += b.length;
    };
    await expect(run()).rejects.toMatchObject({ code: '22012' });
    expect(rows).toBeLessThan(25_000);
    expect((await t.pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('applies the statement timeout to the whole statement', async () => {
    const stream = createCohortQueryStream(t.pool);
    const slow = { text: 'SELECT n::bigint FROM generate_series(1, 3) AS n WHERE pg_sleep(0.5) IS NOT NULL', values: [] };
    const run = async () => {
      for await (const _ of stream(slow, { timeoutMs: 300 })) {
        // nothing
      }
    };
    await expect(run()).rejects.toMatchObject({ code: '57014' });
  });

  it('a consumer that stops early ends the query with its connection; the pool stays usable', async () => {
    const stream = createCohortQueryStream(t.pool);
    const before = t.pool.totalCount;
    for await (const b of stream(series(2_000_000))) {
      expect(b[0]).toBe(1);
      break;
    }
    expect(t.pool.totalCount - t.pool.idleCount).toBe(0);
    expect(t.pool.totalCount).toBeLessThanOrEqual(before);
    expect((await t.pool.query('SELECT 2 AS two')).rows[0].two).toBe(2);
  });
});
