import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, type ErrorCode } from '../errors.js';

/** The one table from application error codes to HTTP statuses. */
export const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** body-parser's error types -> our codes, so bad bodies are 4xx, never 500. */
function fromBodyParser(err: { type?: string; message?: string; limit?: number }): AppError | null {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('invalid_request', `body: malformed JSON (${err.message})`);
    case 'entity.too.large':
      return new AppError('payload_too_large', `body: larger than the limit of ${err.limit} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('invalid_request', `body: ${err.message}`);
    case 'request.aborted':
    case 'entity.verify.failed':
    case 'request.size.invalid':
      return new AppError('invalid_request', `body: ${err.message}`);
    default: {
      // Any other client error raised while reading the body (e.g. a corrupt gzip stream).
      const e = err as { expose?: boolean; status?: number };
      if (e.expose && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
        return new AppError(e.status === 413 ? 'payload_too_large' : 'invalid_request', `body: ${err.message}`);
      }
      return null;
    }
  }
}

/** Errors produced by PostgreSQL being unreachable: answer 503 with Retry-After. */
function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === '57P01' || code === '57P03' || code === 'ETIMEDOUT' ||
    /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/.test(String((err as Error)?.message));
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  let app: AppError | null = err instanceof AppError ? err : fromBodyParser(err);
  if (!app && isUnavailable(err)) app = new AppError('unavailable', 'a backing store is unavailable; retry later', undefined, 5);
  if (!app) {
    req.log?.error({ err }, 'unhandled error');
    app = new AppError('internal', 'internal error');
  }
  if (app.retryAfterS !== undefined) res.setHeader('Retry-After', String(app.retryAfterS));
  const body: { code: ErrorCode; message: string; details?: unknown } = { code: app.code, message: app.message };
  if (app.details !== undefined) body.details = app.details;
  res.status(STATUS[app.code]).json({ error: body });
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
};
