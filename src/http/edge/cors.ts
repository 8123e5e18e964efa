/**
 * CORS for browser SDKs (PRODUCT.md 17; Fetch standard, "CORS protocol"), shared by the fast
 * path and express. Only the public endpoints (`/v1/decide`, `/v1/events`, `/v1/engage`,
 * `/v1/alias`, `/ofrep/v1/…`) answer cross-origin; the admin API never sends
 * `Access-Control-Allow-Origin`, so browsers on other origins cannot read it.
 *
 * - Preflight (`OPTIONS` with `Origin`): 204 from here, without PostgreSQL or Redis. A
 *   preflight carries no token, so it cannot know the project; it allows the method and
 *   headers for any origin, and the real request is then checked against the project.
 * - Requests with `Origin`: the project's `allowed_origins` (null or `*`: any) decide. An
 *   allowed origin gets `Access-Control-Allow-Origin: <origin>` (never `*` with credentials;
 *   we use bearer tokens, not cookies) and the headers an SDK reads; a disallowed one gets
 *   403 `forbidden`, so a page on a foreign origin cannot even send events with the token.
 * - Requests without `Origin` (servers, curl) are untouched.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../../errors.js';
import { allowsOrigin, type Project } from '../../domain/project.js';
import type { EdgeResponse } from './handshake.js';

const PUBLIC = /^\/(v1\/(decide|events|engage|alias|stream)|ofrep\/v1\/)/;

/** True for the paths browser SDKs call (the path of a URL, query ignored). */
export const isPublicPath = (url: string): boolean => PUBLIC.test(url);

const ALLOW_HEADERS = 'Authorization, Content-Type, Content-Encoding, If-None-Match, X-Request-Id, X-API-Key';
const EXPOSE_HEADERS = 'ETag, Retry-After, X-Request-Id, Server-Timing';
/** s a browser may cache a preflight (Chromium caps it at 7,200) */
const MAX_AGE_S = 600;

const originOf = (headers: IncomingHttpHeaders): string | undefined => {
  const o = headers.origin;
  return typeof o === 'string' && o !== '' ? o : undefined;
};

/** The answer to a CORS preflight on a public path, or null when this is not one. */
export function preflight(method: string | undefined, url: string, headers: IncomingHttpHeaders): EdgeResponse | null {
  const origin = originOf(headers);
  if (method !== 'OPTIONS' || !origin || !isPublicPath(url)) return null;
  return {
    status: 204,
    headers: {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': ALLOW_HEADERS,
      'Access-Control-Max-Age': String(MAX_AGE_S),
      Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      'Content-Length': '0',
    },
  };
}

/**
 * The CORS headers of a public request before its project is known: the origin is echoed
 * so a browser can read an early error (401, 400, 413); `checkOrigin` withdraws it. Empty
 * for requests without `Origin` or outside the public paths.
 */
export function corsHeaders(url: string, headers: IncomingHttpHeaders): Record<string, string> {
  const origin = originOf(headers);
  if (!origin || !isPublicPath(url)) return {};
  return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSE_HEADERS, Vary: 'Origin' };
}

/** A 403 for a browser origin the project does not allow: answered without CORS headers. */
export class OriginRefused extends AppError {
  constructor(origin: string) {
    super('forbidden', `origin ${JSON.stringify(origin.slice(0, 200))} is not in this project's allowed_origins`);
  }
}

/** Throws OriginRefused (403 `forbidden`) when the request comes from a browser origin the project does not allow. */
export function checkOrigin(project: Pick<Project, 'allowedOrigins'>, headers: IncomingHttpHeaders): void {
  const origin = originOf(headers);
  if (origin && !allowsOrigin(project, origin)) throw new OriginRefused(origin);
}
