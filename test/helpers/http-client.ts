import http from 'node:http';

/** One request as sent on the wire: the path is sent verbatim (percent-encoding and all). */
export interface RawRequest {
  method: string;
  /** request target, e.g. `/v1/projects/1/persons/%00x?limit=1` (characters 0x21-0xFF only) */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** What came back: an answer, or the transport error (reset, hang-up, timeout) instead of one. */
export type RawAnswer =
  | { ok: true; status: number; headers: http.IncomingHttpHeaders; body: Buffer; ms: number }
  | { ok: false; error: string; code?: string; ms: number };

/**
 * A keep-alive HTTP/1.1 client over node:http for tests that must see transport failures:
 * every error (ECONNRESET, socket hang up, timeout) is returned, never thrown. At most
 * `maxSockets` requests are in flight per client; each may take `timeoutMs` (default 30 s).
 */
export function createHttpClient(baseUrl: string, opts: { maxSockets?: number; timeoutMs?: number } = {}) {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 8 });
  const timeoutMs = opts.timeoutMs ?? 30_000;

  function request(r: RawRequest): Promise<RawAnswer> {
    const started = performance.now();
    const ms = () => Math.round((performance.now() - started) * 10) / 10;
    return new Promise((resolve) => {
      let req: http.ClientRequest;
      try {
        const headers = { ...r.headers };
        if (r.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length' || h.toLowerCase() === 'transfer-encoding')) {
          headers['Content-Length'] = String(r.body.length);
        }
        req = http.request({ host: base.hostname, port: base.port, method: r.method, path: r.path, headers, agent, timeout: timeoutMs });
      } catch (err) {
        resolve({ ok: false, error: `client refused to send: ${(err as Error).message}`, code: 'CLIENT', ms: ms() });
        return;
      }
      let settled = false;
      const fail = (err: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        req.destroy();
        resolve({ ok: false, error: err.message, code: err.code, ms: ms() });
      };
      req.on('timeout', () => fail(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })));
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          resolve({ ok: true, status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: ms() });
        });
      });
      req.end(r.body);
    });
  }

  return {
    request,
    /** JSON convenience: POST/GET with a JSON body, parsed JSON back (null when not JSON). */
    async json(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const a = await request({
        method,
        path,
        headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
        body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
      });
      if (!a.ok) return { ...a, json: null as unknown };
      let json: unknown = null;
      try {
        json = JSON.parse(a.body.toString('utf8'));
      } catch {
        // not JSON
      }
      return { ...a, json };
    },
    close() {
      agent.destroy();
    },
  };
}

export type HttpClient = ReturnType<typeof createHttpClient>;
