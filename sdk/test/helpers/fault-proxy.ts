/**
 * An HTTP proxy a test controls, in front of the real service: it forwards requests as they
 * are, or answers for the server to make it look broken. Modes: `pass`; `503` and `429`
 * (with `Retry-After: retryAfterS`), answered by the proxy; `drop` (the connection is
 * destroyed before forwarding); `lose` (forwarded, then the connection is destroyed instead
 * of answering: the server stored it, the client never hears); `hang` (never answers). It
 * records every request (path, time, mode, status) and can serve static files (a test page).
 * `script([...])` gives the next requests one mode each (an outage of a known shape).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Mode = 'pass' | '503' | '429' | 'drop' | 'lose' | 'hang';

export interface Seen {
  path: string;
  at: number;
  mode: Mode;
  status: number;
  body: string;
}

export async function startFaultProxy(target: string, files: Record<string, { type: string; body: string | Buffer }> = {}) {
  let mode: Mode = 'pass';
  let retryAfterS = 1;
  let script: Mode[] = [];
  const seen: Seen[] = [];
  const hung = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const file = files[path];
    if (req.method === 'GET' && file) {
      res.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-store' }).end(file.body);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const now = script.length > 0 ? script.shift()! : mode;
      const record: Seen = { path, at: Date.now(), mode: now, status: 0, body: body.toString('utf8') };
      seen.push(record);
      if (now === 'drop') return void req.socket.destroy();
      if (now === 'hang') return void hung.add(res);
      if (now === '503' || now === '429') {
        record.status = Number(now);
        res.writeHead(record.status, { 'Content-Type': 'application/json', 'Retry-After': String(retryAfterS) });
        res.end(JSON.stringify({ error: { code: now === '503' ? 'unavailable' : 'rate_limited', message: 'injected by the test proxy' } }));
        return;
      }
      const lose = now === 'lose';
      const headers = { ...req.headers, host: new URL(target).host };
      const up = http.request(`${target}${req.url}`, { method: req.method, headers }, (upRes) => {
        record.status = upRes.statusCode ?? 0;
        if (lose) {
          upRes.resume();
          upRes.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => req.socket.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    setMode(m: Mode, retryAfter = 1) {
      mode = m;
      retryAfterS = retryAfter;
      if (m !== 'hang') {
        for (const r of hung) r.socket?.destroy();
        hung.clear();
      }
    },
    /** The next requests get these modes, one each, then the current mode again. */
    script(modes: Mode[], retryAfter = 1) {
      script = [...modes];
      retryAfterS = retryAfter;
    },
    async close() {
      for (const r of hung) r.socket?.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export type FaultProxy = Awaited<ReturnType<typeof startFaultProxy>>;
