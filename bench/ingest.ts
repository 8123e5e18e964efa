import { createServer } from 'node:http';
/**
 * Ingest throughput: POST /v1/events with batches of 1,000 events over loopback, for a
 * bounded time, then the same batches again (all deduplicated). Results in docs/feeds.md.
 *
 *   npx tsx bench/ingest.ts [--seconds 10] [--concurrency 4] [--batch 1000] [--persons 10000]
 *
 * Builds a throwaway database (`sb_bench_<pid>`, copied by migration) and Redis prefix,
 * serves the app in this process on 127.0.0.1:<random port>, and drops both at the end.
 * PostgreSQL and Redis come from TEST_DATABASE_URL / TEST_REDIS_URL or the local defaults.
 */
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { composeAll as compose } from '../src/composition.js';
import { migrate } from '../src/adapters/postgres/migrate.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const seconds = arg('seconds', 10);
const concurrency = arg('concurrency', 4);
const batch = arg('batch', 1_000);
const persons = arg('persons', 10_000);

const server = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const dbName = `sb_bench_${process.pid}`;
const dbUrl = new URL(server);
dbUrl.pathname = `/${dbName}`;

/** Deterministic batch `seq` of worker `w`: the same arguments give the same events (dedup phase). */
function body(w: number, seq: number): string {
  let x = (w * 1_000_003 + seq * 7_919 + 1) >>> 0;
  const rnd = () => ((x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
  const t0 = Date.now() - 3_600_000;
  const events = [];
  for (let i = 0; i < batch; i++) {
    events.push(`{"event":"${rnd() < 0.8 ? 'page_view' : 'purchase'}","distinct_id":"user-${Math.floor(rnd() * persons)}","time":${t0 + i},"$insert_id":"b-${w}-${seq}-${i}","properties":{"path":"/products/${Math.floor(rnd() * 500)}","referrer":"https://example.com/","price":${(rnd() * 100).toFixed(2)},"plan":"pro"}}`);
  }
  return `{"events":[${events.join(',')}]}`;
}

async function phase(url: string, token: string, ms: number, seqLimit?: number[]) {
  const latencies: number[] = [];
  const sent: number[] = Array(concurrency).fill(0);
  let stored = 0;
  let deduplicated = 0;
  const end = Date.now() + ms;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let seq = 0; Date.now() < end && (seqLimit === undefined || seq < seqLimit[w]); seq++) {
      const t = performance.now();
      const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: body(w, seq) });
      const out = (await res.json()) as { stored: number; deduplicated: number };
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(out)}`);
      latencies.push(performance.now() - t);
      stored += out.stored;
      deduplicated += out.deduplicated;
      sent[w] = seq + 1;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 10) / 10;
  return {
    requests: latencies.length, seconds: Math.round(elapsed * 10) / 10, stored, deduplicated,
    events_per_s: Math.round((stored + deduplicated) / elapsed), batch_ms: { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: pct(1) }, sent,
  };
}

async function main() {
  await migrate(dbUrl.toString());
  const config = loadConfig({ DATABASE_URL: dbUrl.toString(), REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0', REDIS_PREFIX: `bench${process.pid}:`, LOG_LEVEL: 'warn', RUN_WORKER: 'false' });
  const c = compose(config);
  await c.start();
  const { project } = await c.projects.bootstrap('bench');
  const http = createServer(c.app).listen(0, '127.0.0.1');
  await new Promise((r) => http.once('listening', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  try {
    const unique = await phase(url, project.token, seconds * 1000);
    const duplicate = await phase(url, project.token, seconds * 1000, unique.sent);
    const result = {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, memory_gb: Math.round(os.totalmem() / 2 ** 30) },
      settings: { seconds, concurrency, batch, persons },
      unique: { ...unique, sent: undefined },
      duplicate: { ...duplicate, sent: undefined },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    http.close();
    let cursor = '0';
    do {
      const [next, keys] = await c.redis.scan(cursor, 'MATCH', `${config.REDIS_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await c.redis.del(...keys);
    } while (cursor !== '0');
    await c.close();
    const admin = new pg.Client({ connectionString: server.toString() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
