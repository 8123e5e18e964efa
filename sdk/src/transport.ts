/**
 * One POST to the API, never throwing: a network error or timeout is `status: 0`.
 * The project token travels as `Authorization: Bearer`; bodies are JSON.
 */
export interface Reply {
  /** HTTP status; 0 for a network error, a timeout or no fetch at all. */
  status: number;
  /** Parsed JSON body of a 2xx answer (undefined when absent or not JSON). */
  body?: unknown;
  etag?: string | null;
  /** `Retry-After` in ms (seconds or an HTTP date), when the server sent one. */
  retryAfterMs?: number;
  /** Why it failed, for `stats().lastError`. */
  error?: string;
}

export interface PostOptions {
  etag?: string | null;
  keepalive?: boolean;
}

export type Post = (path: string, body: unknown, opts?: PostOptions) => Promise<Reply>;

/** Parses `Retry-After` (RFC 9110 10.2.3: delay-seconds or an HTTP date) into ms from now. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** True when the request is worth repeating: network errors, timeouts, 408, 429 and 5xx. */
export const retryable = (status: number) => status === 0 || status === 408 || status === 429 || status >= 500;

export function createPost(host: string, token: string, fetchFn: typeof fetch | undefined, timeoutMs: number): Post {
  const base = host.replace(/\/+$/, '');
  return async (path, body, opts = {}) => {
    if (typeof fetchFn !== 'function') return { status: 0, error: 'no fetch available' };
    const ctl = typeof AbortController === 'function' ? new AbortController() : undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` };
      if (opts.etag) headers['If-None-Match'] = opts.etag;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ctl?.abort();
          reject(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      });
      const res = await Promise.race([
        fetchFn(base + path, { method: 'POST', headers, body: JSON.stringify(body), signal: ctl?.signal, keepalive: opts.keepalive, credentials: 'omit' }),
        timeout,
      ]);
      const reply: Reply = { status: res.status, etag: res.headers.get('etag'), retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
      const text = await Promise.race([res.text(), timeout]);
      if (res.status >= 200 && res.status < 300) {
        try {
          reply.body = JSON.parse(text);
        } catch {
          reply.error = 'answer is not JSON';
        }
      } else if (res.status !== 304) {
        reply.error = `HTTP ${res.status}: ${text.slice(0, 200)}`;
      }
      return reply;
    } catch (err) {
      return { status: 0, error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  };
}
