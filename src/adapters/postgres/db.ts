/**
 * The PostgreSQL side of ports/db.ts: a `Db` is a pg Pool or PoolClient, and
 * `createTransactions` runs work in BEGIN/COMMIT, retrying deadlocks when asked.
 */
import type { Db, Transactions } from '../../ports/db.js';
import { withTransaction, type Pool, type PoolClient } from './pool.js';
import { inRetryingTransaction } from './retrying-transaction.js';

/** What every store queries through. */
export type Queryable = Pick<Pool | PoolClient, 'query'>;

/** The pg client behind a `Db` handle (adapters only). */
export const sql = (db: Db): Queryable => db as unknown as Queryable;

/** A pg pool or client as a `Db` handle. */
export const asDb = (q: Queryable): Db => q as unknown as Db;

export function createTransactions(pool: Pool): Transactions {
  return {
    db: asDb(pool),
    run: (fn) => withTransaction(pool, (client) => fn(asDb(client))),
    runRetrying: (fn) => inRetryingTransaction(pool, (client) => fn(asDb(client))),
  };
}
