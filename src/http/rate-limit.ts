import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { RateLimiter, RateScope } from '../ports/rate-limiter.js';

/**
 * Express middleware for a rate limit shared by every API process (ports/rate-limiter.ts):
 * counts the request against the project (`req.project`, after the token check) or the admin
 * key (`req.admin`) and answers 429 with `Retry-After: 1` (seconds) past `perSecond`. When Redis
 * cannot be reached the request goes through (fail open). The handshake and OFREP are counted
 * inside their one Redis call instead (services/decide.ts).
 */
export function rateLimit(deps: { limiter: RateLimiter; metrics?: Metrics }, scope: RateScope, perSecond: number): RequestHandler {
  const admit = admitter(deps, scope, perSecond);
  return async (req, _res, next) => {
    const subject = scope === 'admin' ? req.admin?.keyId : req.project?.id;
    if (subject !== undefined) await admit(subject);
    next();
  };
}

/** The same limit as a function that throws the 429 AppError (for code that is not a middleware chain). */
export function admitter(deps: { limiter: RateLimiter; metrics?: Metrics }, scope: RateScope, perSecond: number): (subject: number) => Promise<void> {
  return async (subject) => {
    const count = await deps.limiter.hit(scope, subject);
    if (count !== null && count > perSecond) {
      deps.metrics?.rateLimited.inc({ scope });
      throw new AppError('rate_limited', `more than ${perSecond} requests per second for this ${scope === 'admin' ? 'admin key' : 'token'}`, undefined, 1);
    }
  };
}

/** A middleware that does nothing (routes whose limit is counted elsewhere). */
export const noLimit: RequestHandler = (_req, _res, next) => next();
