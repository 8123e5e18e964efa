import { withTransaction, type Pool, type PoolClient } from './pool.js';

/** PostgreSQL errors worth retrying the whole transaction for: deadlock, serialization. */
export const isRetryable = (err: unknown): boolean => {
  const code = (err as { code?: string })?.code;
  return code === '40P01' || code === '40001';
};

/**
 * Runs `fn` in a transaction, retrying it (up to 5 attempts, with jitter) when PostgreSQL
 * reports a deadlock or serialization failure; `fn` must be safe to run again.
 */
export async function inRetryingTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(pool, fn);
    } catch (err) {
      if (attempt >= 5 || !isRetryable(err)) throw err;
    }
    await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20 * attempt));
  }
}
