/**
 * Read-your-writes at the edge (docs/read-your-writes.md), shared by the handshake (fast path
 * and express) and OFREP: where a request carries its consistency token and wait, and how the
 * answer says whether it caught up. A request carries a token as `min_token` in the body
 * (`/v1/decide`), `?min_token=` in the query, or the `Switchboard-Consistency-Token` header
 * (first found, in that order), and may bound the wait with `wait` / `?wait=` /
 * `Switchboard-Consistency-Wait` (ms, 0 = do not wait). A request without a token pays one
 * header lookup and, with a query string, one scan of it: nothing else.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parseToken, type ConsistencyToken } from '../../domain/consistency-token.js';
import { invalid } from '../../errors.js';
import type { Consistency, Freshness } from '../../services/consistency.js';

/** Request header carrying a token (and response header of writes and token-carrying decisions). */
export const TOKEN_HEADER = 'Switchboard-Consistency-Token';
/** Request header bounding the wait, ms. */
export const WAIT_HEADER = 'Switchboard-Consistency-Wait';
/** Response header of token-carrying decisions: `true` when the answer is behind the token. */
export const BEHIND_HEADER = 'Switchboard-Behind';

/** What a token-carrying decision needs: the waiting service and the wait's bounds (ms). */
export interface ConsistencyReads {
  consistency: Pick<Consistency, 'awaitToken'>;
  /** wait when the request names none (CONSISTENCY_WAIT_MS, default 500) */
  defaultWaitMs: number;
  /** the longest wait a request may ask for (CONSISTENCY_MAX_WAIT_MS) */
  maxWaitMs: number;
}

/** A request's token and how long it may wait for it. */
export interface ConsistencyAsk {
  token: ConsistencyToken;
  waitMs: number;
  /** where the token came from, for error messages */
  field: string;
}

const fail = (field: string, message: string) => invalid(`${field}: ${message}`, { issues: [{ path: field, message }] });

function waitOf(raw: unknown, field: string, maxWaitMs: number): number {
  const n = typeof raw === 'string' && /^\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw fail(field, 'must be a whole number of milliseconds (0 or more)');
  if (n > maxWaitMs) throw fail(field, `must be at most ${maxWaitMs} ms`);
  return n;
}

// node:http lower-cases incoming header names.
const TOKEN_KEY = TOKEN_HEADER.toLowerCase();
const WAIT_KEY = WAIT_HEADER.toLowerCase();
const header = (headers: IncomingHttpHeaders, key: string): string | undefined => {
  const v = headers[key];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The request's token and wait, or null when it carries no token (a `wait` alone is
 * ignored). `url` is the request target (its query is read); `body` the parsed JSON body, when
 * the route takes `min_token` there. Throws a 400 naming the field for a malformed token, a
 * token of another project, or a wait that is not 0..maxWaitMs.
 */
export function consistencyAsk(projectId: number, headers: IncomingHttpHeaders, url: string | undefined, body: unknown, limits: Pick<ConsistencyReads, 'defaultWaitMs' | 'maxWaitMs'>): ConsistencyAsk | null {
  const b = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const q = url?.includes('?') ? new URLSearchParams(url.slice(url.indexOf('?') + 1)) : undefined;
  let raw: unknown;
  let field: string;
  let rawWait: unknown;
  let waitField: string;
  if (b && b.min_token !== undefined) {
    [raw, field, rawWait, waitField] = [b.min_token, 'body.min_token', b.wait, 'body.wait'];
  } else if (q?.has('min_token')) {
    [raw, field, rawWait, waitField] = [q.get('min_token'), 'query.min_token', q.get('wait') ?? undefined, 'query.wait'];
  } else {
    raw = header(headers, TOKEN_KEY);
    if (raw === undefined) return null;
    [field, rawWait, waitField] = [`header.${TOKEN_HEADER}`, header(headers, WAIT_KEY), `header.${WAIT_HEADER}`];
  }
  if (typeof raw !== 'string') throw fail(field, 'must be a consistency token (a string from a write answer)');
  const token = parseToken(raw.trim());
  if (!token) throw fail(field, 'is not a consistency token (copy consistency_token from a write answer unchanged)');
  if (token.projectId !== projectId) throw fail(field, 'belongs to another project');
  const waitMs = rawWait === undefined ? limits.defaultWaitMs : waitOf(rawWait, waitField, limits.maxWaitMs);
  return { token, waitMs, field };
}

/** Waits for the request's token when it carries one; null (at once) when it does not. */
export async function freshnessFor(reads: ConsistencyReads | undefined, ask: ConsistencyAsk | null): Promise<Freshness | null> {
  if (!ask || !reads) return null;
  return reads.consistency.awaitToken(ask.token, ask.waitMs, ask.field);
}

/**
 * The answer's freshness: behind when the watermark did not reach the token, and also when the
 * decision could not read what the write changed (degraded: Redis unreadable; or a cohort's
 * membership missing in Redis, its rules skipped).
 */
export function settledFreshness(f: Freshness, read: { degraded?: boolean; unavailableCohorts?: readonly string[] }): Freshness {
  const blind = read.degraded === true || (read.unavailableCohorts?.length ?? 0) > 0;
  return blind && !f.behind ? { ...f, behind: true } : f;
}

/** `"freshness":{…}` for a body, and the headers of a token-carrying answer. */
export const freshnessJson = (f: Freshness): string => `"freshness":${JSON.stringify({ behind: f.behind, token: f.reached })}`;

export function freshnessHeaders(f: Freshness): Record<string, string> {
  const h: Record<string, string> = { [BEHIND_HEADER]: String(f.behind) };
  if (f.reached) h[TOKEN_HEADER] = f.reached;
  return h;
}
