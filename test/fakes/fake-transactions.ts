import type { Db, Transactions } from '../../src/ports/db.js';

/**
 * A `Db` handle for fakes: stores ignore it. One object for the pool and one for
 * transactions, so a test can tell which one a store was handed.
 */
export const FAKE_POOL_DB = { fake: 'pool' } as unknown as Db;
export const FAKE_TX_DB = { fake: 'transaction' } as unknown as Db;

/** PostgreSQL's deadlock and serialization failure codes: what the real runner retries. */
const isRetryable = (err: unknown): boolean => {
  const code = (err as { code?: string })?.code;
  return code === '40P01' || code === '40001';
};

/**
 * Transactions for unit tests: `run` calls `fn` with a dummy Db; `runRetrying` runs `fn`
 * again (up to 5 attempts, no delay) when it throws a deadlock (40P01) or serialization
 * failure (40001), as adapters/postgres/retrying-transaction.ts does.
 *
 * NOT faithful on rollback: the fakes write straight into memory, so what `fn` wrote
 * before it threw stays written (a retried `fn` sees it too). Tests that need rollback
 * semantics belong with the real PostgreSQL tests.
 */
export function createFakeTransactions() {
  const counts = { run: 0, runRetrying: 0, attempts: 0 };
  const tx: Transactions & { counts: typeof counts } = {
    db: FAKE_POOL_DB,
    counts,
    async run(fn) {
      counts.run++;
      counts.attempts++;
      return fn(FAKE_TX_DB);
    },
    async runRetrying(fn) {
      counts.runRetrying++;
      for (let attempt = 1; ; attempt++) {
        counts.attempts++;
        try {
          return await fn(FAKE_TX_DB);
        } catch (err) {
          if (attempt >= 5 || !isRetryable(err)) throw err;
        }
      }
    },
  };
  return tx;
}

export type FakeTransactions = ReturnType<typeof createFakeTransactions>;
