/**
 * The one error answer (PRODUCT.md 9): `{ "error": { code, message, details? } }` with the
 * status from `STATUS`, `Retry-After` when the error carries one. Never a stack trace; an
 * unexpected error is logged and answered 500 `internal`. Used by express's error handler
 * and by the fast path.
 */
import type { Logger } from 'pino';
import { AppError, type ErrorCode } from '../../errors.js';

/** The one table from application error codes to HTTP statuses. */
export const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  uri_too_long: 414,
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
  const code = (err as { code?: string })?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === '57P01' || code === '57P03' || code === 'ETIMEDOUT' ||
    /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/.test(String((err as Error)?.message));
}

/** Classifies any thrown value as an AppError (logging the unexpected ones). */
export function toAppError(err: unknown, log?: Pick<Logger, 'error'>): AppError {
  if (err instanceof AppError) return err;
  const parsed = fromBodyParser(err as { type?: string });
  if (parsed) return parsed;
  if (isUnavailable(err)) return new AppError('unavailable', 'a backing store is unavailable; retry later', undefined, 5);
  log?.error({ err }, 'unhandled error');
  return new AppError('internal', 'internal error');
}

/** Status, headers and JSON body of the error answer for `err`. */
export function errorResponse(err: unknown, log?: Pick<Logger, 'error'>): { status: number; headers: Record<string, string>; body: string } {
  const app = toAppError(err, log);
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
  if (app.retryAfterS !== undefined) headers['Retry-After'] = String(app.retryAfterS);
  const error: { code: ErrorCode; message: string; details?: unknown } = { code: app.code, message: app.message };
  if (app.details !== undefined) error.details = app.details;
  return { status: STATUS[app.code], headers, body: JSON.stringify({ error }) };
}
