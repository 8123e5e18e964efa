/**
 * The handshake's Redis script on its own (issue 16, docs/performance.md "The handshake's
 * Redis script"): Redis CPU per call (INFO commandstats, on a private redis-server, so only
 * these calls count), the client's round trip and the client process's CPU per call, for the
 * same data read by this tree's reader and, with `--base <checkout>`, by another checkout's
 * reader (e.g. the tree before the chunk directory), interleaved round by round.
 *
 *   npx tsx bench/handshake-lua.ts [--base /path/to/checkout] [--rounds 5] [--calls 5000] [--shards 1] [--repeat 1]
 *
 * Data: bench/fixtures.ts, 10,000 persons (ids from 1,000,001, as after other projects) and
 * 20 cohorts of 5-50 % of them, written by this tree's membership store (a tree without the
 * chunk directory ignores it and reads its own way); each call reads every cohort for one
 * person, the persons in turn. Results: bench/results/handshake-lua-<date>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createRedis, waitForRedis, type RedisClient } from '../src/adapters/redis/client.js';
import { createHandshakeReader } from '../src/adapters/redis/handshake-reader.js';
import { createKeys } from '../src/adapters/redis/keys.js';
import { createMembershipStore } from '../src/adapters/redis/membership-store.js';
import type { HandshakeReader } from '../src/ports/handshake-reader.js';
import { cohortMembers, PERSONS } from './fixtures.js';
import { freePort } from '../test/helpers/redis-process.js';

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    calls: { type: 'string', default: '5000' },
    shards: { type: 'string', default: '1' },
    repeat: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const ROUNDS = Number(opt.rounds);
const CALLS = Number(opt.calls);
const SHARDS = Number(opt.shards);
/** Each fixture cohort written this many times (as distinct cohorts): per-cohort costs dominate at 10. */
const REPEAT = Number(opt.repeat);
const FIRST_ID = 1_000_001;
const P = 1;

const port = await freePort();
const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-lua-'));
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}/0`;
let admin: Redis;
for (let i = 0; ; i++) {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    admin = probe;
    break;
  } catch {
    probe.disconnect();
    if (i > 100) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

try {
  const keys = createKeys('lb:', SHARDS);
  const bulk = createRedis({ url, commandTimeoutMs: 30_000 });
  await waitForRedis(bulk, 5_000);
  const store = createMembershipStore({ redis: bulk, bulk, keys });
  const members = Array.from({ length: REPEAT }, () => cohortMembers(PERSONS)).flat();
  const cohortIds = members.map((_, j) => j + 1);
  let memberships = 0;
  for (const [j, list] of members.entries()) {
    await store.writeVersion(P, j + 1, 1, [...list].sort((a, b) => a - b).map((i) => String(FIRST_ID + i)));
    await store.switchTo(P, j + 1, 1);
    memberships += list.length;
  }
  const pipe = bulk.pipeline();
  for (let i = 0; i < PERSONS; i++) pipe.set(keys.distinctId(P, `user-${i}`), String(FIRST_ID + i));
  for (let i = 0; i < PERSONS; i++) pipe.set(keys.person(P, FIRST_ID + i), `{"u":1,"id":${FIRST_ID + i},"b":"user-${i}","p":{"plan":"pro"},"i":false,"s":{"a":[],"l":null}}`);
  pipe.set(keys.identityReady(P), '1');
  await pipe.exec();

  interface Variant {
    name: string;
    reader: HandshakeReader;
    client: RedisClient;
  }
  const variant = async (name: string, make: (client: RedisClient) => HandshakeReader): Promise<Variant> => {
    const client = createRedis({ url, commandTimeoutMs: 5_000 });
    await waitForRedis(client, 5_000);
    return { name, client, reader: make(client) };
  };
  const variants: Variant[] = [await variant('this tree', (client) => createHandshakeReader({ redis: client, keys, timeoutMs: 5_000 }))];
  if (opt.base) {
    const root = path.resolve(opt.base);
    const baseReader = (await import(path.join(root, 'src/adapters/redis/handshake-reader.ts'))) as typeof import('../src/adapters/redis/handshake-reader.js');
    const baseKeys = (await import(path.join(root, 'src/adapters/redis/keys.ts'))) as typeof import('../src/adapters/redis/keys.js');
    variants.push(await variant(`base ${path.basename(root)}`, (client) => baseReader.createHandshakeReader({ redis: client, keys: baseKeys.createKeys('lb:'), timeoutMs: 5_000 })));
  }
  // Both readers answer the same for every person before anything is measured.
  for (let i = 0; i < PERSONS; i += 97) {
    const answers = await Promise.all(variants.map(async (v) => (await v.reader.read(P, `user-${i}`, null, cohortIds, [])).members.join()));
    if (new Set(answers).size !== 1) throw new Error(`readers disagree for user-${i}: ${answers.join(' / ')}`);
  }

  const stat = async () => {
    const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await admin.info('commandstats'));
    return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
  };
  /** CPU seconds of Redis' main thread (getrusage: not inflated by waiting for a core, unlike commandstats' wall time). */
  const redisCpu = async () => {
    const info = await admin.info('cpu');
    const num = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN);
    return num('used_cpu_user_main_thread') + num('used_cpu_sys_main_thread');
  };
  const results: Record<string, Array<{ redis_us_per_call: number; redis_cpu_us_per_call: number; client_cpu_us_per_call: number; rtt_p50_us: number; rtt_p99_us: number }>> = {};
  let next = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      for (let i = 0; i < 200; i++) await v.reader.read(P, `user-${next++ % PERSONS}`, null, cohortIds, []); // warm-up
      await admin.config('RESETSTAT');
      const rcpu0 = await redisCpu();
      const rtt: number[] = [];
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < CALLS; i++) {
        const t0 = performance.now();
        await v.reader.read(P, `user-${next++ % PERSONS}`, null, cohortIds, []);
        rtt.push((performance.now() - t0) * 1000);
      }
      const cpu = process.cpuUsage(cpu0);
      const s = await stat();
      const rcpu = (await redisCpu()) - rcpu0;
      rtt.sort((a, b) => a - b);
      (results[v.name] ??= []).push({
        redis_us_per_call: Math.round((s.usec / Math.max(1, s.calls)) * 10) / 10,
        // (includes the two INFO calls and the reads' network handling: the whole main thread)
        redis_cpu_us_per_call: Math.round(((rcpu * 1e6) / CALLS) * 10) / 10,
        client_cpu_us_per_call: Math.round(((cpu.user + cpu.system) / CALLS) * 10) / 10,
        rtt_p50_us: Math.round(rtt[Math.floor(CALLS * 0.5)]),
        rtt_p99_us: Math.round(rtt[Math.floor(CALLS * 0.99)]),
      });
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const load = os.loadavg().map((x) => Math.round(x * 100) / 100);
  console.log(`handshake script, ${cohortIds.length} cohorts, ${memberships} memberships, ${PERSONS} persons, ${SHARDS} shard(s), ${ROUNDS} rounds x ${CALLS} sequential calls; load average ${load.join(' ')}`);
  const summary: Record<string, Record<string, number>> = {};
  for (const [name, rs] of Object.entries(results)) {
    summary[name] = {
      redis_us_per_call: median(rs.map((x) => x.redis_us_per_call)),
      redis_cpu_us_per_call: median(rs.map((x) => x.redis_cpu_us_per_call)),
      client_cpu_us_per_call: median(rs.map((x) => x.client_cpu_us_per_call)),
      rtt_p50_us: median(rs.map((x) => x.rtt_p50_us)),
      rtt_p99_us: median(rs.map((x) => x.rtt_p99_us)),
    };
    console.log(`  ${name}: Redis EVALSHA ${summary[name].redis_us_per_call} µs/call (rounds ${rs.map((x) => x.redis_us_per_call).join(', ')}), Redis main-thread CPU ${summary[name].redis_cpu_us_per_call} µs/call (rounds ${rs.map((x) => x.redis_cpu_us_per_call).join(', ')}), client CPU ${summary[name].client_cpu_us_per_call} µs/call, round trip p50 ${summary[name].rtt_p50_us} µs, p99 ${summary[name].rtt_p99_us} µs`);
  }
  const out = opt.out ?? path.join('bench', 'results', `handshake-lua-${new Date().toISOString().slice(0, 10)}-c${members.length}${SHARDS > 1 ? `-s${SHARDS}` : ''}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), load_average: load, cpus: os.cpus().length, shards: SHARDS, rounds: ROUNDS, calls: CALLS, cohorts: cohortIds.length, memberships, summary, results }, null, 2)}\n`);
  console.log(`written ${out}`);
  for (const v of variants) v.client.disconnect();
  bulk.disconnect();
} finally {
  admin.disconnect();
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
