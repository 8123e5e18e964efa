/**
 * Credentials on a request, read the same way by every front door (the handshake's fast
 * path, express, OFREP). The `Authorization` scheme is case-insensitive (RFC 9110 §11.1):
 * `Bearer`, `bearer` and `BEARER` are one scheme.
 */
import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^bearer\s+(\S+)\s*$/i;

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const m = BEARER.exec(authorization);
  return m ? m[1] : undefined;
}

/** A public request's project token: the bearer token, else `token` in the JSON body (beacon-style clients). */
export function projectToken(headers: IncomingHttpHeaders, body: unknown): string | undefined {
  const fromHeader = bearerToken(headers.authorization);
  if (fromHeader) return fromHeader;
  const token = typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined;
  return typeof token === 'string' ? token : undefined;
}

/** OFREP's project token: the bearer token, else the `X-API-Key` header (as OFREP providers send it). */
export function ofrepToken(headers: IncomingHttpHeaders): string | undefined {
  const key = headers['x-api-key'];
  return bearerToken(headers.authorization) ?? (typeof key === 'string' && key !== '' ? key : undefined);
}

/** What a rate limit counts a public request against: its token, else its address. */
export function rateLimitKey(token: string | undefined, remoteAddress: string | undefined): string {
  return token ?? `ip:${remoteAddress ?? 'unknown'}`;
}
