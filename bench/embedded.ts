/**
 * The embedded mode's numbers (issue 22, docs/embedded.md), in one run:
 * 1. time from `npm start` to a ready `/readyz` in the embedded mode (DATABASE_URL=embedded,
 *    REDIS_URL=memory:): cold (a new data folder: initdb, then every migration) and warm
 *    (the same folder again);
 * 2. handshake req/s (`POST /v1/decide`, autocannon, bench/load.ts) against that warm
 *    service, next to the Redis mode (the machine's PostgreSQL and Redis servers), each
 *    seeded the same way through the HTTP API: 2,000 persons, a dynamic cohort (about a
 *    fifth of them), three flags (a cohort rule, a property rule, a 50/50 split).
 * Every service is its own `npm start` process group, signalled whole at the end. The Redis
 * mode uses the database `switchboard_bench_embedded` (dropped before and after) and the key
 * prefix `bench-embedded:` (deleted after). Loopback only; about 2 minutes.
 *
 * Usage: npx tsx bench/embedded.ts [--duration 15] [--connections 32] [--out bench/results/embedded-<date>.json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../src/adapters/postgres/embedded.js';
import { createRedis, waitForRedis } from '../src/adapters/redis/client.js';
import { runLoad, type LoadResult } from './load.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const DURATION_S = Number(arg('duration', '15'));
const CONNECTIONS = Number(arg('connections', '32'));
const OUT = arg('out', `bench/results/embedded-${new Date().toISOString().slice(0, 10)}.json`);
const ADMIN_KEY = `sba_bench_embedded_${Date.now().toString(36)}_key`;
const PERSONS = 2_000;
const SERVER_DB = 'postgres://postgres@127.0.0.1:5432/switchboard_bench_embedded';
const PREFIX = 'bench-embedded:';

interface Service {
  child: ChildProcess;
  port: number;
  readyMs: number;
  log: () => string;
}

async function start(env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', INIT_ADMIN_KEY: ADMIN_KEY, RATE_LIMIT_PER_S: '10000000', ADMIN_RATE_LIMIT_PER_S: '100000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${log}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (performance.now() - started > 180_000) throw new Error(`not ready after 180 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, readyMs: performance.now() - started, log: () => log };
}

async function stop(s: Service): Promise<void> {
  const closed = new Promise<void>((resolve) => s.child.once('close', () => resolve()));
  process.kill(-s.child.pid!, 'SIGTERM');
  await closed;
}

/** Seeds one project through the HTTP API; returns its token and the handshake bodies. */
async function seed(port: number): Promise<{ token: string; bodies: string[] }> {
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, p: string, bearer: string, body?: unknown) => {
    const res = await fetch(base + p, { method, headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const project = await call('POST', '/v1/projects', ADMIN_KEY, { name: 'bench embedded', tier: 'pro' });
  const id = project.id as number;
  const token = project.token as string;
  const countries = ['Germany', 'France', 'United Kingdom', 'Spain', 'Italy'];
  const ids = Array.from({ length: PERSONS }, (_, i) => `user-${String(i).padStart(5, '0')}`);
  for (let i = 0; i < ids.length; i += 500) {
    await call('POST', '/v1/engage', token, { updates: ids.slice(i, i + 500).map((d, j) => ({ distinct_id: d, $set: { country: countries[(i + j) % countries.length], plan: (i + j) % 3 === 0 ? 'pro' : 'free' } })) });
  }
  await call('POST', `/v1/projects/${id}/cohorts`, ADMIN_KEY, { key: 'germany', name: 'Germany', kind: 'dynamic', definition: { type: 'person', key: 'country', operator: 'eq', value: 'Germany' } });
  const flags = `/v1/projects/${id}/flags`;
  await call('POST', flags, ADMIN_KEY, { key: 'german-checkout', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'de', cohorts: { any: ['germany'] }, serve: { variant: 'on' } }] });
  await call('POST', flags, ADMIN_KEY, { key: 'pro-feature', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'pro', condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'on' } }] });
  await call('POST', flags, ADMIN_KEY, {
    key: 'layout', enabled: true, default_variant: 'a', off_variant: 'a', variants: { a: { value: 'a' }, b: { value: 'b' } },
    rules: [{ id: 'ab', serve: { split: [{ variant: 'a', weight: 50 }, { variant: 'b', weight: 50 }] } }],
  });
  // The refresher (in the service) materializes the cohort; a German person then gets `on`.
  for (let i = 0; ; i++) {
    const d = (await call('POST', '/v1/decide', token, { distinct_id: 'user-00000' })) as { flags: Record<string, { variant: string }> };
    if (d.flags['german-checkout']?.variant === 'on') break;
    if (i > 600) throw new Error('the cohort did not materialize in 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { token, bodies: ids.map((d) => JSON.stringify({ distinct_id: d })) };
}

async function load(name: string, s: Service): Promise<LoadResult> {
  const { token, bodies } = await seed(s.port);
  return runLoad({ name, url: `http://127.0.0.1:${s.port}/v1/decide`, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, bodies, connections: CONNECTIONS, warmupS: 3, durationS: DURATION_S });
}

async function dropServerDb(): Promise<void> {
  const c = new pg.Client({ connectionString: SERVER_DB.replace(/\/[^/]+$/, '/postgres') });
  await c.connect();
  await c.query('DROP DATABASE IF EXISTS switchboard_bench_embedded WITH (FORCE)');
  await c.end();
}

async function main() {
  const dir = path.join(tmpdir(), `sb-bench-embedded-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const embeddedEnv = { DATABASE_URL: 'embedded', REDIS_URL: 'memory:', SWITCHBOARD_DIR: dir };
  try {
    console.log('cold start (new data folder: initdb + migrations) ...');
    const cold = await start(embeddedEnv);
    console.log(`  ready after ${(cold.readyMs / 1000).toFixed(1)} s`);
    await stop(cold);
    console.log('warm start (same folder) ...');
    const warm = await start(embeddedEnv);
    console.log(`  ready after ${(warm.readyMs / 1000).toFixed(1)} s`);
    console.log(`handshakes, embedded mode (embedded PostgreSQL + in-process store), ${CONNECTIONS} connections, ${DURATION_S} s ...`);
    const memory = await load('embedded (memory:)', warm);
    console.log(`  ${memory.req_per_s.toFixed(0)} req/s, p50 ${memory.latency_ms.p50.toFixed(2)} ms, p99 ${memory.latency_ms.p99.toFixed(2)} ms, non-2xx ${memory.non_2xx}`);
    await stop(warm);

    await dropServerDb();
    console.log('Redis mode (PostgreSQL and Redis servers) ...');
    const redisMode = await start({ DATABASE_URL: SERVER_DB, REDIS_URL: 'redis://127.0.0.1:6379/0', REDIS_PREFIX: PREFIX });
    console.log(`  ready after ${(redisMode.readyMs / 1000).toFixed(1)} s`);
    const redis = await load('servers (redis://)', redisMode);
    console.log(`  ${redis.req_per_s.toFixed(0)} req/s, p50 ${redis.latency_ms.p50.toFixed(2)} ms, p99 ${redis.latency_ms.p99.toFixed(2)} ms, non-2xx ${redis.non_2xx}`);
    await stop(redisMode);

    const record = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, note: 'shared 2-core machine; other work was running' },
      start_to_ready_ms: { embedded_cold: Math.round(cold.readyMs), embedded_warm: Math.round(warm.readyMs), servers: Math.round(redisMode.readyMs) },
      handshakes: { persons: PERSONS, connections: CONNECTIONS, duration_s: DURATION_S, embedded_memory: memory, servers_redis: redis },
    };
    writeFileSync(OUT, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`written to ${OUT}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropServerDb().catch(() => {});
    const r = createRedis({ url: 'redis://127.0.0.1:6379/0' });
    await waitForRedis(r, 3_000).catch(() => {});
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.unlink(...keys);
    } while (cursor !== '0');
    r.disconnect();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
