/** Closed set of application error codes; only http/ maps them to statuses. */
export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'uri_too_long'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** A typed error thrown by services; `details` is shown to the client as is. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** seconds, sent as Retry-After with rate_limited and unavailable */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export const invalid = (message: string, details?: unknown) => new AppError('invalid_request', message, details);
export const notFound = (message: string) => new AppError('not_found', message);
export const conflict = (message: string, details?: unknown) => new AppError('conflict', message, details);

/** One entry per invalid field, with a path like `rules[2].split[1].weight`. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Formats a zod-style path as `a.b[2].c`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}
