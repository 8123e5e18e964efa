/**
 * Rate limits shared by every API process (PRODUCT.md 17): per project token for the public
 * endpoints (decisions and ingestion counted apart) and per admin key for the admin API, in
 * fixed 1 s windows kept in Redis.
 */

/** What a limit counts: a project's handshakes and OFREP calls, its feed writes, or an admin key's requests. */
export type RateScope = 'decide' | 'ingest' | 'admin';

export interface RateLimiter {
  /**
   * Counts one request of `subject` (a project id; an admin key id for `admin`) in the current
   * 1 s window. Resolves to the window's count, or null when the store cannot be reached: the
   * caller then lets the request through (fail open, docs/reliability.md).
   */
  hit(scope: RateScope, subject: number): Promise<number | null>;
}
