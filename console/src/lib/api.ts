/**
 * The admin API from the browser: the admin key from sessionStorage as a bearer token,
 * JSON in and out, errors as ApiError with the server's `{ error: { code, message, details } }`.
 */
import { clearKey, getKey } from './key-storage.js';

/** One field problem as the server reports it (`details.issues`). */
export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The server's field issues, or one issue for the whole request. */
  get issues(): FieldIssue[] {
    const d = this.details as { issues?: FieldIssue[] } | undefined;
    return Array.isArray(d?.issues) ? d!.issues : [];
  }
}

export interface ApiOptions {
  body?: unknown;
  /** sent as text/csv instead of JSON */
  csv?: string;
  ifMatch?: number;
}

export interface ApiResult<T> {
  data: T;
  /** the version from an `ETag: "<n>"` header, when present */
  version: number | null;
}

/** Calls the API; throws ApiError. A 401 forgets the key (the app shows sign-in). */
export async function request<T>(method: string, path: string, opts: ApiOptions = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (opts.csv !== undefined) {
    headers['Content-Type'] = 'text/csv';
    body = opts.csv;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (opts.ifMatch !== undefined) headers['If-Match'] = `"${opts.ifMatch}"`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', `cannot reach the server: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    if (res.status === 401) clearKey();
    throw new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? `${res.status} ${res.statusText}`, e?.details);
  }
  const etag = res.headers.get('ETag');
  const version = etag && /^"?\d+"?$/.test(etag) ? Number(etag.replace(/"/g, '')) : null;
  return { data: json as T, version };
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path).then((r) => r.data),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body }).then((r) => r.data),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }).then((r) => r.data),
  del: <T>(path: string, body?: unknown) => request<T>('DELETE', path, { body }).then((r) => r.data),
};

/** `/v1/projects/<id>/<rest>` with each dynamic segment encoded. */
export const projectPath = (project: string | number, ...rest: string[]) =>
  `/v1/projects/${encodeURIComponent(String(project))}${rest.map((r) => `/${encodeURIComponent(r)}`).join('')}`;

/** Every page of a `{ data, next_cursor }` list (at most `max` rows). */
export async function all<T>(path: string, max = 5_000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: { data: T[]; next_cursor: string | null } = await api.get(`${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}
