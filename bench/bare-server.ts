/**
 * The baselines the handshake is compared with, each in its own process: a bare express 5
 * route (`BARE_KIND=express`, express defaults: JSON body parser, weak ETag) or a bare
 * node:http handler (`BARE_KIND=node`), both answering a body read from `BARE_BODY_FILE`
 * (a real handshake response captured from the seeded server, so the size is the same).
 * Listens on 127.0.0.1:`PORT` and prints `listening <port>` on stdout.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import express from 'express';

const PRECOMPUTED = readFileSync(process.env.BARE_BODY_FILE!, 'utf8');
const port = Number(process.env.PORT ?? 0);

let server: http.Server;
if (process.env.BARE_KIND === 'node') {
  server = http.createServer((req, res) => {
    // Read the body as a JSON endpoint would, then answer the precomputed bytes.
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(PRECOMPUTED) });
      res.end(PRECOMPUTED);
    });
  });
} else {
  const app = express();
  app.post('/bare', express.json(), (_req, res) => {
    res.type('json').send(PRECOMPUTED);
  });
  server = http.createServer(app);
}

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : port}`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
