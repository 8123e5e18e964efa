/**
 * Hostile input stops at the edge (PRODUCT.md 9, issue 14): before any route reads a request,
 * its URL is checked (length, strict percent-encoding, no NUL or lone surrogates in the path
 * or the query) and every JSON body is checked (nesting depth, `__proto__` keys, NUL and lone
 * surrogates in keys and strings). Each problem is a 400 (414 for a URL that is too long)
 * naming the field, never a 500 from PostgreSQL or Redis further in. Used by express and by
 * the handshake's fast path alike.
 */
import { inspectJson, unstorable } from '../../domain/json-safety.js';
import { AppError } from '../../errors.js';

export { inspectJson, unstorable };

/** Longest request URL (path and query), in characters. */
export const MAX_URL_CHARS = 8_192;
const bad = (field: string, message: string) => new AppError('invalid_request', `${field}: ${message}`, { issues: [{ path: field, message }] });

/** Strict decodeURIComponent: undefined when the encoding is malformed. */
function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * Checks a request URL (`req.url`: path and query). Throws a 414 AppError for a URL over
 * MAX_URL_CHARS and a 400 naming `path` or `query.<name>` for malformed percent-encoding, NUL
 * characters or lone surrogates.
 */
export function checkUrl(url: string): void {
  if (url.length > MAX_URL_CHARS) throw new AppError('uri_too_long', `the request URL is longer than ${MAX_URL_CHARS} characters`);
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path.includes('%')) {
    for (const segment of path.split('/')) {
      if (!segment.includes('%')) continue;
      const decoded = decode(segment);
      if (decoded === undefined) throw bad('path', 'malformed percent-encoding');
      const problem = unstorable(decoded);
      if (problem) throw bad('path', problem);
    }
  }
  if (q === -1 || q === url.length - 1) return;
  for (const pair of url.slice(q + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = (eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' ');
    const key = decode(rawKey);
    if (key === undefined) throw bad('query', 'malformed percent-encoding in a parameter name');
    const keyProblem = unstorable(key);
    if (keyProblem) throw bad('query', `parameter name ${keyProblem}`);
    if (eq === -1) continue;
    const value = decode(pair.slice(eq + 1).replace(/\+/g, ' '));
    const field = `query.${key.slice(0, 100)}`;
    if (value === undefined) throw bad(field, 'malformed percent-encoding');
    const problem = unstorable(value);
    if (problem) throw bad(field, problem);
  }
}

/** Throws a 400 naming the field when `inspectJson` finds a problem. */
export function checkJson(value: unknown, base = 'body'): void {
  const problem = inspectJson(value, base);
  if (problem) throw bad(problem.path || 'body', problem.message);
}
