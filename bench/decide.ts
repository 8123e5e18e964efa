/**
 * `npm run bench:decide`: handshake throughput and latency against a bare express route
 * returning a body of the same size, in the same run on the same machine (issue 7).
 *
 * Seeds its own database (`switchboard_bench`, dropped and recreated) and Redis prefix
 * (`bench:`, cleared with SCAN at start and end), starts the real server in a child process,
 * drives it with autocannon (32 connections, 3 s warm-up, 10 s measured), prints a table and
 * writes bench/results/decide-<date>.json. Exit code 0 whether the target is met or not.
 *
 * Options: --duration s (10)  --warmup s (3)  --connections n (32)  --profile (one more run
 * with the server under --cpu-prof)  --colocated (the bare route inside the server's process
 * too)  --cluster n (the handshake again with n API processes on one port)  --quick (only the bare express route and the handshake)  --keep (leave the database
 * and keys)  --out file.  BENCH_SERVER_ROOT / BENCH_SERVER_NODE_ARGS: see bench/servers.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRedis, waitForRedis } from '../src/adapters/redis/client.js';
import { machine } from './machine.js';
import { createMeasure, degradedTotal } from './measure.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { printTable, verdict, type RunRecord } from './report.js';
import { deletePrefix, dropDatabase, resetDatabase, seed } from './seed.js';
import { ROOT, startBare, startSwitchboard, type Child } from './servers.js';

const { values: opt } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    profile: { type: 'boolean', default: false },
    colocated: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    cluster: { type: 'string' },
    out: { type: 'string' },
  },
});
const DURATION = Math.min(Number(opt.duration), 12);
const WARMUP = Math.min(Number(opt.warmup), 3);
const CONNECTIONS = Number(opt.connections);

const dbUrl = new URL(process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard');
if (!process.env.BENCH_DATABASE_URL) dbUrl.pathname = '/switchboard_bench';
const env = { databaseUrl: dbUrl.toString(), redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', prefix: process.env.BENCH_REDIS_PREFIX ?? 'bench:' };
const serverEnv = { DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix };

const redis = createRedis({ url: env.redisUrl, commandTimeoutMs: 30_000 });
await waitForRedis(redis, 3_000);

const measure = createMeasure(redis);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] * 1000) / 1000;
};

const children: Child[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
const runs: RunRecord[] = [];
let output: Record<string, unknown> = {};
try {
  console.log(`seeding ${dbUrl.pathname.slice(1)} and Redis prefix ${env.prefix} …`);
  await deletePrefix(redis, env.prefix);
  await resetDatabase(env.databaseUrl);
  const seeded = await seed(env);
  const m = await machine(redis, env.databaseUrl);
  console.log(`seeded project ${seeded.projectId}: ${JSON.stringify(seeded.counts)}`);
  console.log(`machine: ${m.cpus} × ${m.cpu_model}, ${m.memory_gib} GiB, node ${m.node}, redis ${m.redis}, postgres ${m.postgres}, commit ${m.commit}${m.dirty ? ' (dirty)' : ''}, load ${m.loadavg_1m_at_start}`);

  const sb = await startSwitchboard(serverEnv);
  children.push(sb);
  const headers = { authorization: `Bearer ${seeded.token}`, 'content-type': 'application/json' };
  const bodies = seeded.distinctIds.map((d) => JSON.stringify({ distinct_id: d }));
  const decideUrl = `http://127.0.0.1:${sb.port}/v1/decide`;

  // Real handshake bodies: their sizes, and the one closest to the mean becomes the bare body.
  const sample: Array<{ body: string; etag: string }> = [];
  for (let i = 0; i < seeded.distinctIds.length; i += 10) {
    const res = await fetch(decideUrl, { method: 'POST', headers, body: bodies[i] });
    if (res.status !== 200) throw new Error(`handshake answered ${res.status}: ${await res.text()}`);
    sample.push({ body: await res.text(), etag: res.headers.get('etag')! });
  }
  const sizes = sample.map((s) => Buffer.byteLength(s.body));
  const meanSize = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  const representative = sample.reduce((best, s) => (Math.abs(Buffer.byteLength(s.body) - meanSize) < Math.abs(Buffer.byteLength(best.body) - meanSize) ? s : best));
  const bodyFile = path.join(tmp, 'handshake.json');
  writeFileSync(bodyFile, representative.body);
  const bodyBytes = Buffer.byteLength(representative.body);
  const parsed = JSON.parse(representative.body) as { flags: object; configs: object; surveys: unknown[] };
  console.log(`handshake body: ${bodyBytes} bytes (mean ${Math.round(meanSize)}, min ${Math.min(...sizes)}, max ${Math.max(...sizes)}); ${Object.keys(parsed.flags).length} flags, ${Object.keys(parsed.configs).length} configs, ${parsed.surveys.length} surveys`);

  const base = { headers, connections: CONNECTIONS, warmupS: WARMUP, durationS: DURATION };
  console.log(`load: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s measured per run`);

  // 1. The bare express route, alone in its own process.
  const bare = await startBare('express', bodyFile);
  children.push(bare);
  runs.push(await measure('express 5 bare route, own process', bare.proc.pid!, { ...base, name: 'bare-express', url: `http://127.0.0.1:${bare.port}/bare`, bodies }));
  await bare.stop();

  // 2. The handshake.
  const degraded0 = await degradedTotal(sb.port);
  runs.push(await measure('switchboard POST /v1/decide', sb.proc.pid!, { ...base, name: 'decide', url: decideUrl, bodies }));

  type Pcts = { p50: number; p90: number; p99: number };
  let serverTiming: { samples: number; gather_ms: Pcts; evaluate_ms: Pcts; at_req_per_s: number } | undefined;
  if (!opt.quick) {
    // 3. The 304 path: If-None-Match with each person's current ETag (1,000 persons, rotating).
    const etagBodies = sample.map((_, k) => bodies[k * 10]);
    runs.push(await measure('switchboard POST /v1/decide, If-None-Match (304)', sb.proc.pid!, {
      ...base, name: 'decide-304', url: decideUrl, bodies: etagBodies, headersFor: (i) => ({ 'if-none-match': sample[i].etag }),
    }));

    // 4. Where a handshake's time goes, from Server-Timing (a side run: reading bodies costs the load generator).
    const gather: number[] = [];
    const evaluate: number[] = [];
    const timingRun = await measure('switchboard POST /v1/decide, Server-Timing collected', sb.proc.pid!, {
      ...base, warmupS: 0, durationS: Math.min(5, DURATION), name: 'decide-timing', url: decideUrl, bodies,
      onResponse: (_status, _body, h) => {
        const st = String(h['Server-Timing'] ?? h['server-timing'] ?? '');
        const g = /gather;dur=([\d.]+)/.exec(st);
        const e = /evaluate;dur=([\d.]+)/.exec(st);
        if (g && e) {
          gather.push(Number(g[1]));
          evaluate.push(Number(e[1]));
        }
      },
    });
    serverTiming = {
      samples: gather.length,
      gather_ms: { p50: pct(gather, 50), p90: pct(gather, 90), p99: pct(gather, 99) },
      evaluate_ms: { p50: pct(evaluate, 50), p90: pct(evaluate, 90), p99: pct(evaluate, 99) },
      at_req_per_s: timingRun.req_per_s,
    };
    const st = serverTiming;
    console.log(`  Server-Timing: gather p50 ${st.gather_ms.p50} ms p99 ${st.gather_ms.p99} ms; evaluate p50 ${st.evaluate_ms.p50} ms p99 ${st.evaluate_ms.p99} ms`);
  }
  const degraded = (await degradedTotal(sb.port)) - degraded0;
  await sb.stop();

  // 5. Calibration: bare node:http with the same body (the team's reference point, ~60,000 req/s).
  if (!opt.quick) {
    const nodeBare = await startBare('node', bodyFile);
    children.push(nodeBare);
    runs.push(await measure('node:http bare handler, own process', nodeBare.proc.pid!, { ...base, name: 'bare-node-http', url: `http://127.0.0.1:${nodeBare.port}/bare`, bodies }));
    await nodeBare.stop();
  }

  // 6. Optional: the bare route inside the server's process (is a separate process fairer?).
  if (opt.colocated) {
    const co = await startSwitchboard(serverEnv, { colocatedBareBody: bodyFile });
    children.push(co);
    runs.push(await measure('express 5 bare route inside the server process', co.proc.pid!, { ...base, name: 'bare-express-colocated', url: `http://127.0.0.1:${co.barePort}/bare`, bodies }));
    await co.stop();
  }

  // 6b. Optional: the handshake with n API processes sharing the port (node:cluster).
  if (opt.cluster) {
    const n = Number(opt.cluster);
    const cl = await startSwitchboard(serverEnv, { workers: n });
    children.push(cl);
    // CPU of the workers is not attributed (they are the primary's children): server cores stay empty.
    runs.push(await measure(`switchboard POST /v1/decide, ${n} processes (node:cluster)`, null, { ...base, name: `decide-cluster-${n}`, url: decideUrl.replace(String(sb.port), String(cl.port)), bodies }));
    await cl.stop();
  }

  // 7. Optional: the handshake and the bare express route again, each under --cpu-prof.
  let profile: { decide?: ProfileSummary; bare_express?: ProfileSummary } | undefined;
  if (opt.profile) {
    profile = {};
    // --import tsx runs its loader in a worker thread, which writes a profile too: take the main thread's (largest).
    const mainProfile = (dir: string) => {
      const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      files.sort((a, b) => statSync(path.join(dir, b)).size - statSync(path.join(dir, a)).size);
      return files[0] ? path.join(dir, files[0]) : undefined;
    };
    // The window is the load: from the first to the last sample inside express.json()'s parser.
    const dir = path.join(tmp, 'prof-decide');
    const prof = await startSwitchboard(serverEnv, { cpuProfDir: dir });
    children.push(prof);
    const profiled = await measure('switchboard POST /v1/decide under --cpu-prof', prof.proc.pid!, { ...base, name: 'decide-profiled', url: decideUrl.replace(String(sb.port), String(prof.port)), bodies });
    runs.push(profiled);
    await prof.stop();
    const file = mainProfile(dir);
    if (file) {
      profile.decide = summarizeProfile(file, 25, 'jsonParser', profiled.requests + profiled.warmup_requests);
      console.log(`  profile: ${file} (busy ${profile.decide.busy_ms} of ${profile.decide.total_ms} ms, ${profile.decide.busy_us_per_request} µs/request)`);
    }
    const bareDir = path.join(tmp, 'prof-bare');
    const bareProf = await startBare('express', bodyFile, { cpuProfDir: bareDir });
    children.push(bareProf);
    const bareProfiled = await measure('express 5 bare route under --cpu-prof', bareProf.proc.pid!, { ...base, name: 'bare-express-profiled', url: `http://127.0.0.1:${bareProf.port}/bare`, bodies });
    runs.push(bareProfiled);
    await bareProf.stop();
    const bareFile = mainProfile(bareDir);
    if (bareFile) profile.bare_express = summarizeProfile(bareFile, 25, 'jsonParser', bareProfiled.requests + bareProfiled.warmup_requests);
    const side = new Map<string, { area: string; decide_us: number; bare_us: number }>();
    for (const a of profile.decide?.areas ?? []) side.set(a.area, { area: a.area, decide_us: a.us_per_request ?? 0, bare_us: 0 });
    for (const a of profile.bare_express?.areas ?? []) {
      const e = side.get(a.area) ?? { area: a.area, decide_us: 0, bare_us: 0 };
      e.bare_us = a.us_per_request ?? 0;
      side.set(a.area, e);
    }
    console.log('  CPU per request by area (µs, under the profiler):');
    console.table([...side.values()].sort((x, y) => y.decide_us - x.decide_us));
  }

  const decideRun = runs.find((r) => r.name === 'decide')!;
  const bareRun = runs.find((r) => r.name === 'bare-express')!;
  const v = verdict(decideRun, bareRun);
  output = {
    date: new Date().toISOString(),
    machine: m,
    load: { tool: 'autocannon 9 (programmatic, in the parent process)', connections: CONNECTIONS, warmup_s: WARMUP, duration_s: DURATION, body: '{"distinct_id": <one of 10,000, rotating>}' },
    seeded: seeded.counts,
    handshake_body_bytes: { bare_body: bodyBytes, mean: Math.round(meanSize), min: Math.min(...sizes), max: Math.max(...sizes) },
    degraded_handshakes: degraded,
    runs,
    server_timing: serverTiming,
    profile,
    verdict: v,
  };
  console.log('');
  printTable(runs);
  console.log('');
  console.log(`handshake / bare express: ${(v.ratio * 100).toFixed(1)} % of req/s, p99 ${v.p99_ms} ms, degraded handshakes ${degraded}`);
  console.log(`${v.pass ? 'PASS' : 'MISS'}: ${v.target}`);
  const out = opt.out ?? path.join(ROOT, 'bench', 'results', `decide-${new Date().toISOString().slice(0, 10)}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`results: ${path.relative(ROOT, out)}`);
} finally {
  for (const c of children.reverse()) await c.stop().catch(() => {});
  if (!opt.keep) {
    await deletePrefix(redis, env.prefix).catch(() => {});
    await dropDatabase(env.databaseUrl).catch(() => {});
  }
  redis.disconnect();
  if (!opt.profile) rmSync(tmp, { recursive: true, force: true });
}
