import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError } from '../errors.js';

/** The token a public request authenticates with (header or body), or its address. */
function tokenOf(req: Request): string {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const body = req.body as { token?: unknown } | undefined;
  if (body && typeof body.token === 'string') return body.token;
  return `ip:${req.socket.remoteAddress ?? 'unknown'}`;
}

/**
 * Per-token rate limit for public endpoints (express-rate-limit, fixed 1 s windows in
 * memory, per process). Over the limit: 429 with `Retry-After` (seconds) and our error shape.
 * OFREP paths answer in OFREP's error shape (`{ errorDetails }`).
 */
export function tokenRateLimit(perSecond: number): RequestHandler {
  return rateLimit({
    windowMs: 1_000,
    limit: perSecond,
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
}
