/**
 * The demo's HTTP client for the running service: what an SDK or an admin would call
 * (readiness, cohort list, person read, handshake, alias). Plain fetch; errors carry the
 * service's `{ error: { code, message } }`.
 */

/** A decision as the handshake returns it (PRODUCT.md 7.3). */
export interface DecisionBody {
  key: string;
  value: unknown;
  variant: string | null;
  reason: string;
  rule_id?: string;
  error_code?: string;
  version: number;
  freshness: Array<{ cohort: string; state: string; as_of: number | null }>;
}

/** `POST /v1/decide`'s answer. */
export interface HandshakeBody {
  flags: Record<string, DecisionBody>;
  configs: Record<string, DecisionBody>;
  surveys: Array<{ key: string; name?: string } & Record<string, unknown>>;
  snapshot: { version: number; cohorts: Record<string, { state: string; version: number; as_of: string | null }>; degraded: boolean };
}

/** A cohort as `GET /v1/projects/:p/cohorts` lists it. */
export interface CohortBody {
  key: string;
  name: string;
  kind: 'static' | 'dynamic';
  state: string;
  version: number;
  member_count: number;
  last_calculated_at: string | null;
  errors_calculating: number;
  last_error_code: string | null;
  last_error_message: string | null;
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function createDemoClient(baseUrl: string, tokens: { admin: string; project: string }) {
  async function call<T>(method: string, path: string, bearer: string | null, body?: unknown): Promise<T> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : null;
    if (!res.ok) {
      const err = (json as { error?: { message?: string } } | null)?.error;
      throw new HttpError(res.status, `${method} ${path}: ${res.status} ${err?.message ?? text}`);
    }
    return json as T;
  }

  return {
    /** Every cohort of the project (all pages). */
    async cohorts(projectId: number): Promise<CohortBody[]> {
      const out: CohortBody[] = [];
      for (let cursor: string | null = null; ; ) {
        const page: { data: CohortBody[]; next_cursor: string | null } = await call('GET', `/v1/projects/${projectId}/cohorts?limit=100${cursor ? `&cursor=${cursor}` : ''}`, tokens.admin);
        out.push(...page.data);
        if (!page.next_cursor) return out;
        cursor = page.next_cursor;
      }
    },
    project: (projectId: number) => call<{ id: number; name: string }>('GET', `/v1/projects/${projectId}`, tokens.admin),
    person: (projectId: number, distinctId: string) =>
      call<{ person: { id: number; bucketing_key: string; properties: Record<string, unknown> }; cohorts?: Array<{ key: string }> }>('GET', `/v1/projects/${projectId}/persons/${encodeURIComponent(distinctId)}`, tokens.admin),
    decide: (distinctId: string, anonId?: string) => call<HandshakeBody>('POST', '/v1/decide', tokens.project, { distinct_id: distinctId, ...(anonId ? { anon_id: anonId } : {}) }),
    alias: (distinctId: string, alias: string) =>
      call<{ person_id: number; distinct_ids: string[]; bucketing_key: string; merged: boolean }>('POST', '/v1/alias', tokens.project, { distinct_id: distinctId, alias }),
  };
}

export type DemoClient = ReturnType<typeof createDemoClient>;

/**
 * Whether the service answers on `baseUrl`: `{ ok }`, or what is wrong in one line
 * (not listening, or not ready and which store is down).
 */
export async function serviceStatus(baseUrl: string): Promise<{ ok: true } | { ok: false; reason: string; down: boolean }> {
  try {
    const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
    if (res.ok) return { ok: true };
    const body = (await res.json().catch(() => ({}))) as { postgres?: string; redis?: string };
    const stores = [body.postgres === 'down' ? 'PostgreSQL' : null, body.redis === 'down' ? 'Redis' : null].filter(Boolean);
    return { ok: false, down: false, reason: `the service at ${baseUrl} is not ready (${res.status}${stores.length ? `: ${stores.join(' and ')} unreachable` : ''})` };
  } catch (err) {
    return { ok: false, down: true, reason: `nothing answers at ${baseUrl}/readyz (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message})` };
  }
}
