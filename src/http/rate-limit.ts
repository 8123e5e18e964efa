import type { Request, RequestHandler } from 'express';
import { MemoryStore, rateLimit } from 'express-rate-limit';
import { AppError } from '../errors.js';
import { projectToken, rateLimitKey } from './edge/token.js';

/** The token a public request authenticates with (header or body), or its address. */
const tokenOf = (req: Request): string => rateLimitKey(projectToken(req.headers, req.body), req.socket.remoteAddress);

/** Per-token limits shared by the express routes and the handshake's fast path. */
export interface TokenLimits {
  /** express middleware: 429 + `Retry-After` in our error shape (OFREP's on /ofrep/ paths) */
  middleware: RequestHandler;
  /** counts one request of `key`; false when it is over the limit */
  allow(key: string): Promise<boolean>;
  perSecond: number;
}

/**
 * Per-token rate limit for public endpoints: express-rate-limit with one MemoryStore (fixed
 * 1 s windows, per process) that the express middleware and the fast path both count in.
 * Over the limit: 429 with `Retry-After: 1` (seconds).
 */
export function tokenRateLimit(perSecond: number): TokenLimits {
  const store = new MemoryStore();
  const middleware = rateLimit({
    windowMs: 1_000,
    limit: perSecond,
    store,
    standardHeaders: false,
    legacyHeaders: false,
    keyGenerator: tokenOf,
    validate: false,
    handler: (req, res, next) => {
      res.setHeader('Retry-After', '1');
      if (req.path.startsWith('/ofrep/')) {
        res.status(429).json({ errorDetails: `more than ${perSecond} requests per second for this token; retry after 1 s` });
        return;
      }
      next(new AppError('rate_limited', `more than ${perSecond} requests per second for this token`, undefined, 1));
    },
  });
  return {
    middleware,
    perSecond,
    async allow(key: string) {
      const { totalHits } = await store.increment(key);
      return totalHits <= perSecond;
    },
  };
}
