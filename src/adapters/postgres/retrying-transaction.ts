import type { Pool, PoolClient } from './pool.js';

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
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      if (attempt >= 5 || !isRetryable(err)) throw err;
    } finally {
      client.release();
    }
    await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20 * attempt));
  }
}
