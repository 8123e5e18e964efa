/**
 * `npm run bench:sdk` (part 2): time to first decision and CPU per `isEnabled` call.
 *
 * Seeds its own world (database `switchboard_bench_sdk`, Redis prefix `bench-sdk:`; the
 * synthetic project of bench/seed.ts: 10,000 persons, 20 cohorts, 50 flags, 10 configs,
 * 5 surveys) and starts the real server as `npm start` does (bench/servers.ts), on loopback.
 *
 * - Time to first decision, browser: Debian's Chromium (playwright-core), a fresh browser
 *   context per run (no storage, cache or connections), a page that loads the built bundle
 *   and awaits `ready()`. The page and the API share one origin through a loopback
 *   pass-through proxy here (the server sends no CORS headers). Median of 20 of
 *   `performance.now()` at ready (from navigation start) and of createClient → ready.
 * - Time to first decision, Node: a new client (memory storage) → `ready()`, median of 20.
 * - `isEnabled` CPU: Node, 5,000,000 calls over the handshake's boolean flags; and in
 *   Chromium the same loop for the four SDKs side by side (bench/sdk-peers-entry.ts).
 * Writes bench/results/sdk-decision-<date>.json. Exit code 0 whatever the numbers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { createRedis, waitForRedis } from '../src/adapters/redis/client.js';
import { createClient, memoryStorage, type Handshake } from '../sdk/src/index.js';
import { deletePrefix, dropDatabase, resetDatabase, seed } from './seed.js';
import { sdkMachine } from './sdk-machine.js';
import { ROOT, startSwitchboard } from './servers.js';

const RUNS = 20;
const CALLS = 5_000_000;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const bundle = async (opts: { entryPoints?: string[]; stdin?: { contents: string; resolveDir: string; loader: 'ts' } }) =>
  (await build({ ...opts, bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2020', write: false, logLevel: 'error', define: { 'process.env.NODE_ENV': '"production"' } })).outputFiles[0].contents;

const machine = sdkMachine();
const dbUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard');
dbUrl.pathname = '/switchboard_bench_sdk';
const env = { databaseUrl: dbUrl.toString(), redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', prefix: 'bench-sdk:' };
const redis = createRedis({ url: env.redisUrl, commandTimeoutMs: 30_000 });
await waitForRedis(redis, 3_000);
await deletePrefix(redis, env.prefix);
await resetDatabase(env.databaseUrl);
console.log('seeding…');
const world = await seed(env);
const server = await startSwitchboard({ DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix });
const api = `http://127.0.0.1:${server.port}`;
const dead = 'http://127.0.0.1:9';

// Node: cold clients, then isEnabled on one handshake.
const nodeTtfd: number[] = [];
for (let i = 0; i < RUNS + 2; i++) {
  const t0 = performance.now();
  const c = createClient(world.token, { host: api, storage: memoryStorage(), refreshIntervalMs: 0 });
  await c.ready();
  if (i >= 2) nodeTtfd.push(performance.now() - t0); // two warm-ups (the server's first handshake loads its snapshot)
  if (c.status() !== 'ready') throw new Error(`node run ${i}: ${c.status()} ${JSON.stringify(c.stats().lastError)}`);
  await c.close();
}
const handshake = (await (await fetch(`${api}/v1/decide`, { method: 'POST', headers: { Authorization: `Bearer ${world.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ distinct_id: 'user-00001' }) })).json()) as Handshake;
const client = createClient(world.token, { host: dead, bootstrap: handshake, refreshIntervalMs: 0 });
const keys = Object.keys(handshake.flags).filter((k) => typeof handshake.flags[k].value === 'boolean');
let sink = 0;
for (let i = 0; i < 100_000; i++) sink += client.isEnabled(keys[i % keys.length], false) ? 1 : 0;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let i = 0; i < CALLS; i++) sink += client.isEnabled(keys[i % keys.length], false) ? 1 : 0;
const wallNs = Number(process.hrtime.bigint() - t0) / CALLS;
const cpu = process.cpuUsage(cpu0);
const cpuNs = ((cpu.user + cpu.system) * 1000) / CALLS;
await client.close();

// Browser: a page and the API on one origin (a pass-through proxy for /v1/*).
const sdkJs = await bundle({ entryPoints: [path.join(ROOT, 'sdk/src/index.ts')] });
const peersJs = await bundle({ entryPoints: [path.join(ROOT, 'bench/sdk-peers-entry.ts')] });
const page = `<!doctype html><html><body><pre id="out"></pre><script type="module">
const t0 = performance.now();
const { createClient } = await import('/sdk.js');
const c = createClient(${JSON.stringify(world.token)}, { refreshIntervalMs: 0 });
const t1 = performance.now();
await c.ready();
const t2 = performance.now();
window.result = { ready_ms: t2, handshake_ms: t2 - t1, script_start_ms: t0, status: c.status(), on: c.isEnabled(${JSON.stringify(keys[0])}, false) };
document.getElementById('out').textContent = JSON.stringify(window.result);
</script></body></html>`;
const files: Record<string, [string, string | Uint8Array]> = { '/': ['text/html', page], '/sdk.js': ['text/javascript', sdkJs], '/peers.js': ['text/javascript', peersJs], '/peers.html': ['text/html', '<!doctype html><script type="module" src="/peers.js"></script>'] };
const web = http.createServer((req, res) => {
  const f = files[(req.url ?? '/').split('?')[0]];
  if (req.method === 'GET' && f) return void res.writeHead(200, { 'Content-Type': f[0], 'Cache-Control': 'no-store' }).end(f[1]);
  const up = http.request(`${api}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
});
await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ARGS });
const cold: Array<{ ready_ms: number; handshake_ms: number; script_start_ms: number; status: string }> = [];
for (let i = 0; i < RUNS + 2; i++) {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  await p.goto(origin);
  const r = await p.waitForFunction(() => (window as unknown as { result?: unknown }).result).then((h) => h.jsonValue() as Promise<(typeof cold)[number]>);
  if (r.status !== 'ready') throw new Error(`browser run ${i}: ${r.status}`);
  if (i >= 2) cold.push(r);
  await ctx.close();
}
const peerCtx = await browser.newContext();
const peerPage = await peerCtx.newPage();
await peerPage.goto(`${origin}/peers.html`);
await peerPage.waitForFunction(() => typeof (window as unknown as { runIsEnabled?: unknown }).runIsEnabled === 'function');
const peerArgs: [unknown, string, number] = [JSON.parse(JSON.stringify(handshake)), dead, 1_000_000];
const peers: unknown = await peerPage.evaluate((a) => (window as unknown as { runIsEnabled(h: unknown, d: string, n: number): Promise<unknown> }).runIsEnabled(a[0], a[1], a[2]), peerArgs as [object, string, number]);
await browser.close();
web.closeAllConnections();
await new Promise((r) => web.close(r));
await server.stop();
await deletePrefix(redis, env.prefix);
redis.disconnect();
await dropDatabase(env.databaseUrl);

const result = {
  bench: 'sdk-decision',
  date: new Date().toISOString(),
  machine,
  world: world.counts,
  server: 'node --import tsx src/main.ts serve (as npm start), loopback, RUN_WORKER=false',
  time_to_first_decision: {
    browser: { runs: RUNS, median_ready_ms_from_navigation: round(median(cold.map((r) => r.ready_ms))), median_create_to_ready_ms: round(median(cold.map((r) => r.handshake_ms))), min_ready_ms: round(Math.min(...cold.map((r) => r.ready_ms))), max_ready_ms: round(Math.max(...cold.map((r) => r.ready_ms))) },
    node: { runs: RUNS, median_create_to_ready_ms: round(median(nodeTtfd)), min_ms: round(Math.min(...nodeTtfd)), max_ms: round(Math.max(...nodeTtfd)) },
  },
  is_enabled: {
    node: { calls: CALLS, flags: keys.length, wall_ns_per_call: round(wallNs), cpu_ns_per_call: round(cpuNs), target_ns: 1000, verdict: cpuNs < 1000 ? 'PASS' : 'MISS' },
    chromium_side_by_side: peers,
  },
  sink,
};
console.log(JSON.stringify(result, null, 2));
const file = path.join(ROOT, `bench/results/sdk-decision-${result.date.slice(0, 10)}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${path.relative(ROOT, file)}`);
