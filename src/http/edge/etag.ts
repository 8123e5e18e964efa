import { createHash } from 'node:crypto';

/** A strong ETag over a body: sha1, base64url. */
export const etagOf = (json: string): string => `"${createHash('sha1').update(json).digest('base64url')}"`;

/** True when `If-None-Match` lists `etag` (weak or strong, RFC 9110 §13.1.2 weak comparison). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  for (const t of ifNoneMatch.split(',')) if (t.trim().replace(/^W\//, '') === etag) return true;
  return false;
}

/** Headers every cacheable answer carries: the ETag and "revalidate before reuse". */
export const cacheHeaders = (etag: string): Record<string, string> => ({ ETag: etag, 'Cache-Control': 'private, no-cache' });
