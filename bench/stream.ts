/**
 * Decision streams and webhooks (issue 20; docs/stream.md, docs/webhooks.md):
 *  1. open streams held by one API process (a child: `src/main.ts serve`) and its RSS per
 *     stream, target 10,000 streams under 300 MB RSS;
 *  2. fan-out latency of one flag edit to all of them (first byte of each `decisions` event);
 *  3. webhook deliveries per second to a local receiver (the dispatcher in-process).
 * Seeded world: bench/seed.ts (65 definitions, 20 cohorts, 10,000 persons). Loopback only,
 * bounded: `STREAMS` (default 10,000) connections, one edit, `DELIVERIES` (default 5,000) events.
 * Results: bench/results/stream-<date>.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { composeAll } from '../src/composition.js';
import { loadConfig } from '../src/config.js';
import { createRedis, waitForRedis } from '../src/adapters/redis/client.js';
import { outboxEvent } from '../src/services/webhooks.js';
import { benchConfig, deletePrefix, resetDatabase, seed } from './seed.js';
import { ROOT, startSwitchboard } from './servers.js';

const STREAMS = Number(process.env.STREAMS ?? 10_000);
const DELIVERIES = Number(process.env.DELIVERIES ?? 5_000);
const dbUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard');
dbUrl.pathname = '/switchboard_bench_stream';
const env = { databaseUrl: dbUrl.toString(), redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', prefix: 'benchstream:' };
const ADMIN_KEY = `sba_bench_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const redis = createRedis({ url: env.redisUrl, commandTimeoutMs: 30_000 });
await waitForRedis(redis, 3_000);
console.log('stream bench: seeding switchboard_bench_stream ...');
await resetDatabase(env.databaseUrl);
await deletePrefix(redis, env.prefix);
const world = await seed(env);
{
  const c = composeAll(benchConfig(env));
  await c.projects.ensureInitKey(ADMIN_KEY);
  await c.close();
}

const server = await startSwitchboard({ DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix, STREAM_MAX_PER_PROCESS: String(STREAMS + 100) } as never);
const pid = server.proc.pid!;
const base = `http://127.0.0.1:${server.port}`;
const results: Record<string, unknown> = { date: new Date().toISOString(), streams_target: STREAMS };
try {
  await sleep(1_000);
  const idleRss = rssMb(pid);
  // Open the streams: raw sockets, 200 at a time; each records when `event: decisions` arrives.
  let handshakes = 0;
  const arrivals: number[] = [];
  let t0 = 0;
  const reqs: http.ClientRequest[] = [];
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const id = `${world.distinctIds[i % world.distinctIds.length]}${i >= world.distinctIds.length ? `-s${i}` : ''}`;
      const req = http.get(`${base}/v1/stream?distinct_id=${encodeURIComponent(id)}&token=${world.token}`, { agent: false }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream ${i}: HTTP ${res.statusCode}`));
        res.setEncoding('utf8');
        let seen = false;
        res.on('data', (chunk: string) => {
          if (!seen && chunk.includes('event: handshake')) {
            seen = true;
            handshakes++;
            resolve();
          }
          if (t0 && chunk.includes('event: decisions')) arrivals.push(performance.now() - t0);
        });
        res.on('error', () => {});
      });
      req.on('error', reject);
      reqs.push(req);
    });
  const openStarted = performance.now();
  for (let i = 0; i < STREAMS; i += 200) await Promise.all(Array.from({ length: Math.min(200, STREAMS - i) }, (_, j) => open(i + j)));
  const openS = (performance.now() - openStarted) / 1000;
  await sleep(3_000);
  const heldRss = rssMb(pid);
  console.log(`held ${handshakes} streams (opened in ${openS.toFixed(1)} s): RSS ${heldRss.toFixed(0)} MB (idle ${idleRss.toFixed(0)} MB), ${(((heldRss - idleRss) * 1024) / STREAMS).toFixed(1)} KB per stream`);

  // One flag edit that changes a decision for everyone: a kill switch on a flag that is on for most.
  const flags = (await (await fetch(`${base}/v1/projects/${world.projectId}/flags?limit=100`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } })).json()) as { data: Array<{ key: string; enabled?: boolean }> };
  const target = flags.data.find((f) => f.enabled !== false)!.key;
  t0 = performance.now();
  const kill = await fetch(`${base}/v1/projects/${world.projectId}/flags/${encodeURIComponent(target)}/kill`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
  if (kill.status !== 200) throw new Error(`kill: HTTP ${kill.status}`);
  const deadline = performance.now() + 60_000;
  let last = -1;
  while (performance.now() < deadline) {
    await sleep(500);
    if (arrivals.length === last) break; // quiet for 0.5 s
    last = arrivals.length;
  }
  const lat = [...arrivals].sort((a, b) => a - b);
  const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * f))];
  const peakRss = rssMb(pid);
  console.log(`fan-out of one edit (${target}): ${lat.length} decisions events; p50 ${q(0.5)?.toFixed(0)} ms, p99 ${q(0.99)?.toFixed(0)} ms, max ${lat.at(-1)?.toFixed(0)} ms; RSS after ${peakRss.toFixed(0)} MB`);
  Object.assign(results, {
    streams_held: handshakes, open_s: Number(openS.toFixed(1)), rss_idle_mb: Math.round(idleRss), rss_held_mb: Math.round(heldRss), rss_after_fanout_mb: Math.round(peakRss),
    kb_per_stream: Number((((heldRss - idleRss) * 1024) / STREAMS).toFixed(1)), target_rss_ok: heldRss < 300,
    fanout: { flag: target, events: lat.length, p50_ms: Math.round(q(0.5)), p99_ms: Math.round(q(0.99)), max_ms: Math.round(lat.at(-1) ?? 0) },
  });
  for (const r of reqs) r.destroy();
} finally {
  await server.stop();
}

// Webhook deliveries per second: the dispatcher in this process, a local receiver answering 200.
{
  const rx = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`;
  const c = composeAll(loadConfig({ DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix, LOG_LEVEL: 'warn', RUN_WORKER: 'false', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }));
  await c.start();
  try {
    const ep = await c.webhooks.admin.create(world.projectId, 'bench', { url, event_types: ['flag.changed'] });
    for (let i = 0; i < DELIVERIES; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, DELIVERIES - i) }, (_, j) => c.webhooks.store.enqueue(outboxEvent(world.projectId, 'flag.changed', { key: `bench-${i + j}` }))));
    }
    const started = performance.now();
    let done = 0;
    while (done < DELIVERIES) done += await c.webhooks.dispatcher.tick();
    const s = (performance.now() - started) / 1000;
    console.log(`webhooks: ${done} deliveries in ${s.toFixed(1)} s = ${Math.round(done / s)}/s (16 at once, signed, logged)`);
    results.webhooks = { deliveries: done, seconds: Number(s.toFixed(1)), per_s: Math.round(done / s), concurrency: 16, endpoint: ep.id };
  } finally {
    await c.close();
    rx.close();
  }
}

await redis.quit();
const file = path.join(ROOT, 'bench/results', `stream-${new Date().toISOString().slice(0, 10)}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${path.relative(ROOT, file)}`);
process.exit(0);
