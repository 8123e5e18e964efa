// Serves the browser example on http://127.0.0.1:8080 with the built bundle, and forwards
// /v1/* to the API (SWITCHBOARD_URL, default http://127.0.0.1:3000) so page and API share
// one origin: the API sends no CORS headers (sdk/README.md, "Browsers and origins").
// Usage: npm run build:sdk && SWITCHBOARD_TOKEN=sbp_... node sdk/examples/serve.mjs
import { readFileSync } from 'node:fs';
import http from 'node:http';

const api = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:3000';
const port = Number(process.env.EXAMPLE_PORT ?? 8080);
const token = process.env.SWITCHBOARD_TOKEN ?? '';
const file = (name) => readFileSync(new URL(name, import.meta.url));
http
  .createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/') {
      return res.writeHead(200, { 'Content-Type': 'text/html', 'Set-Cookie': `sb_token=${token}; SameSite=Strict` }).end(file('./index.html'));
    }
    if (req.method === 'GET' && path === '/switchboard.min.js') return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(file('../dist/switchboard.min.js'));
    if (!path.startsWith('/v1/')) return res.writeHead(404).end();
    const up = http.request(api + req.url, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  })
  .listen(port, '127.0.0.1', () => console.log(`http://127.0.0.1:${port} (API ${api})`));
