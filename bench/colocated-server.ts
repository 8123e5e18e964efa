/**
 * The fairness check for the baseline: the real server (`serve`, as `src/main.ts serve` runs
 * it) AND the bare express route in ONE process, the bare route on `BARE_PORT`. Comparing
 * the bare route here with the bare route alone shows what sharing a process with the
 * server's heap, timers and subscriptions costs the baseline.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import express from 'express';
import { loadConfig } from '../src/config.js';
import { serve } from '../src/cli/serve.js';

const PRECOMPUTED = readFileSync(process.env.BARE_BODY_FILE!, 'utf8');

await serve(loadConfig());
const app = express();
app.post('/bare', express.json(), (_req, res) => {
  res.type('json').send(PRECOMPUTED);
});
const bare = http.createServer(app);
bare.listen(Number(process.env.BARE_PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  bare.close();
  bare.closeAllConnections();
});
