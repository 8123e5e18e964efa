/**
 * Database sessions as services see them: opaque handles. A store method that must run
 * inside a caller's transaction takes a `Db`; services get one from `Transactions` and never
 * look inside (adapters/postgres/db.ts knows it is a pg client). Fakes pass any `Db`.
 */
declare const dbBrand: unique symbol;

/** An open database session: the pool (autocommit) or one transaction's connection. */
export interface Db {
  readonly [dbBrand]: 'Db';
}

/** How services run work atomically. */
export interface Transactions {
  /** the pool: each statement commits on its own */
  readonly db: Db;
  /** `fn` inside BEGIN/COMMIT on one connection; rolls back when it throws */
  run<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * As `run`, retried (up to 5 attempts, with jitter) when the database reports a deadlock or
   * a serialization failure; `fn` must be safe to run again.
   */
  runRetrying<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
}
