/**
 * Where the memory of open decision streams goes (docs/performance.md "Decision streams"): the
 * server as a child (`src/main.ts serve`, the bench's node flags plus `--heapsnapshot-signal`),
 * `STREAMS` (default 2,000) `GET /v1/stream` connections on bench/stream.ts's seeded world, then
 * a heap snapshot, summarized by constructor (count, self size) into
 * bench/results/stream-heap-<date>.txt. Heap only: RSS also holds V8's free space and buffers.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { composeAll } from '../src/composition.js';
import { createRedis, waitForRedis } from '../src/adapters/redis/client.js';
import { benchConfig, deletePrefix, resetDatabase, seed } from './seed.js';

const STREAMS = Number(process.env.STREAMS ?? 2_000);
const dbUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard');
dbUrl.pathname = '/switchboard_bench_stream_heap';
const env = { databaseUrl: dbUrl.toString(), redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', prefix: 'benchstreamheap:' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;

/** Sums a .heapsnapshot's nodes by (type, name): count and self size. */
function summarize(file: string, top = 40): string {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const f = snap.snapshot.meta.node_fields;
  const width = f.length;
  const [iType, iName, iSize] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size')];
  const types = snap.snapshot.meta.node_types[0];
  const by = new Map<string, { n: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? `(${type})` : type === 'code' ? '(code)' : snap.strings[snap.nodes[i + iName]].slice(0, 60);
    const key = `${type}:${name}`;
    const e = by.get(key) ?? { n: 0, bytes: 0 };
    e.n++;
    e.bytes += snap.nodes[i + iSize];
    total += snap.nodes[i + iSize];
    by.set(key, e);
  }
  const rows = [...by].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top);
  return [`heap total ${(total / 1048576).toFixed(1)} MB`, ...rows.map(([k, v]) => `${(v.bytes / 1048576).toFixed(2).padStart(8)} MB ${String(v.n).padStart(8)}  ${(v.bytes / v.n).toFixed(0).padStart(6)} B/each  ${k}`)].join('\n');
}

const redis = createRedis({ url: env.redisUrl, commandTimeoutMs: 30_000 });
await waitForRedis(redis, 3_000);
await resetDatabase(env.databaseUrl);
await deletePrefix(redis, env.prefix);
const world = await seed(env);
await composeAll(benchConfig(env)).close();
const dir = path.join(os.tmpdir(), `sb-heap-${process.pid}`);
process.env.BENCH_SERVER_NODE_ARGS = `${process.env.BENCH_SERVER_NODE_ARGS ?? '--max-semi-space-size=32'} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`;
const { mkdirSync } = await import('node:fs');
mkdirSync(dir, { recursive: true });
// servers.ts reads the node flags when it loads: import it after setting them
const { ROOT, startSwitchboard } = await import('./servers.js');
const server = await startSwitchboard({ DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix, STREAM_MAX_PER_PROCESS: String(STREAMS + 100) } as never);
const pid = server.proc.pid!;
const base = `http://127.0.0.1:${server.port}`;
const reqs: http.ClientRequest[] = [];
let out = '';
try {
  await sleep(1_000);
  const idle = rssMb(pid);
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const id = `${world.distinctIds[i % world.distinctIds.length]}${i >= world.distinctIds.length ? `-s${i}` : ''}`;
      const req = http.get(`${base}/v1/stream?distinct_id=${encodeURIComponent(id)}&token=${world.token}`, { agent: false }, (res) => {
        res.setEncoding('utf8');
        res.once('data', () => resolve());
        res.on('error', () => {});
      });
      req.on('error', reject);
      reqs.push(req);
    });
  for (let i = 0; i < STREAMS; i += 200) await Promise.all(Array.from({ length: Math.min(200, STREAMS - i) }, (_, j) => open(i + j)));
  await sleep(3_000);
  const held = rssMb(pid);
  process.kill(pid, 'SIGUSR2');
  let file: string | undefined;
  for (let i = 0; i < 600 && !file; i++) {
    await sleep(500);
    const f = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot'));
    // the file is complete once its size stops growing
    if (f) {
      const a = readFileSync(path.join(dir, f)).length;
      await sleep(1_000);
      if (readFileSync(path.join(dir, f)).length === a && a > 0) file = path.join(dir, f);
    }
  }
  if (!file) throw new Error('no heap snapshot');
  out = `${new Date().toISOString()} ${STREAMS} streams, load ${os.loadavg()[0].toFixed(1)}: RSS idle ${idle.toFixed(0)} MB, holding ${held.toFixed(0)} MB (${(((held - idle) * 1024) / STREAMS).toFixed(1)} KB per stream)\n${summarize(file)}\n`;
  console.log(out);
} finally {
  for (const r of reqs) r.destroy();
  await server.stop();
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(path.join(ROOT, 'bench/results', `stream-heap-${process.env.HEAP_LABEL ?? new Date().toISOString().slice(0, 10)}.txt`), out);
process.exit(0);
