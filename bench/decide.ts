/**
 * `npm run bench:decide`: the handshake at the machine's limit, side by side with its peers in
 * one run (issue 15; docs/performance.md).
 *
 * Seeds its own database (`switchboard_bench`, dropped and recreated) and Redis prefix
 * (`bench:`, cleared with SCAN at start and end), then, with every server pinned to one core
 * (`taskset`, BENCH_SERVER_CPU=0) and this process, the load generator (autocannon 9), on
 * the other (BENCH_LOAD_CPU=1):
 * 1. pure evaluation (tinybench): decideAll of the 65 definitions next to
 *    @openfeature/flagd-core's resolveAll of the same 50 flags (bench/evaluate-peers.ts);
 * 2. closed loop, c=32, 3 s warm-up + 10 s, in `--rounds` (3) interleaved rounds, each
 *    server resumed only for its own runs (the idle ones are SIGSTOPped): bare node:http and
 *    bare express 5 returning the same bytes as a handshake, Switchboard `POST /v1/decide`
 *    (200), the same with If-None-Match (304), OFREP bulk, and the Unleash OSS frontend API
 *    (bench/unleash.ts: installed outside the repository, its own database, the same 50 flags);
 * 3. open loop at fixed arrival rates (1,000 req/s and half the measured maximum) for the
 *    handshake and the bare node:http server;
 * 4. `--profile`: the handshake again under `node --cpu-prof`, summarized over exactly the
 *    measured window (the monotonic clock), top self-time functions and areas.
 * Prints a summary table (medians over the rounds) and the targets with PASS/MISS, and writes
 * bench/results/decide-<date>.json and a docs-ready decide-<date>.md. Exit code 0 whether the
 * targets are met or not.
 *
 * Options: --rounds n (3)  --duration s (10, ≤ 12)  --warmup s (3)  --connections n (32)
 * --open-connections n (100)  --quiet-wait s (10: how long each run waits for an idle machine)
 * --no-unleash  --no-express  --profile  --quick (1 round of 5 s, no Unleash)  --keep  --out file.
 * BENCH_SERVER_ROOT / BENCH_SERVER_NODE_ARGS: see bench/servers.ts (measure another checkout).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRedis, waitForRedis } from '../src/adapters/redis/client.js';
import { benchEvaluation, type EvaluationResult } from './evaluate-peers.js';
import { machine } from './machine.js';
import { createMeasure, degradedTotal } from './measure.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { printSummary, summarize, summaryMarkdown, targetsMarkdown, type RunRecord, type SummaryRow, type TargetResult } from './report.js';
import { deletePrefix, dropDatabase, resetDatabase, seed } from './seed.js';
import { pause, pinLoadGenerator, resume, ROOT, startBare, startSwitchboard, type Child } from './servers.js';
import { dropUnleashDatabase, FRONTEND_TOKEN, startUnleash, unleashBodies } from './unleash.js';
import type { LoadSpec } from './load.js';

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    'open-connections': { type: 'string', default: '100' },
    'quiet-wait': { type: 'string', default: '10' },
    'no-unleash': { type: 'boolean', default: false },
    'no-express': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const ROUNDS = opt.quick ? 1 : Math.max(1, Number(opt.rounds));
const DURATION = opt.quick ? 5 : Math.min(Number(opt.duration), 12);
const WARMUP = Math.min(Number(opt.warmup), 3);
const CONNECTIONS = Number(opt.connections);
const OPEN_CONNECTIONS = Number(opt['open-connections']);
const WITH_UNLEASH = !opt['no-unleash'] && !opt.quick;

const pinning = pinLoadGenerator();
const dbUrl = new URL(process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard');
if (!process.env.BENCH_DATABASE_URL) dbUrl.pathname = '/switchboard_bench';
const env = { databaseUrl: dbUrl.toString(), redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', prefix: process.env.BENCH_REDIS_PREFIX ?? 'bench:' };
const serverEnv = { DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix };

const redis = createRedis({ url: env.redisUrl, commandTimeoutMs: 30_000 });
await waitForRedis(redis, 3_000);
const measure = createMeasure(redis, Number(opt['quiet-wait']));

const children: Child[] = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-'));
let unleashDb: URL | undefined;

/** A server under test and the runs it gets in every round. */
interface Subject {
  child: Child;
  runs: Array<{ target: string; spec: Omit<LoadSpec, 'connections' | 'warmupS' | 'durationS'> }>;
}

try {
  console.log(`pinning: servers on CPU ${pinning.server_cpu ?? '-'}, load generator on CPU ${pinning.load_generator_cpu ?? '-'} (${pinning.tool})`);
  console.log('pure evaluation (tinybench) …');
  const evaluation: EvaluationResult = await benchEvaluation();
  console.log(`  decideAll 65 definitions: p50 ${evaluation.switchboard_decide_all_65.p50_us} µs, mean ${evaluation.switchboard_decide_all_65.mean_us} µs; flagd-core resolveAll 50 flags: p50 ${evaluation.flagd_core_resolve_all_50.p50_us} µs, mean ${evaluation.flagd_core_resolve_all_50.mean_us} µs`);

  console.log(`seeding ${dbUrl.pathname.slice(1)} and Redis prefix ${env.prefix} …`);
  await deletePrefix(redis, env.prefix);
  await resetDatabase(env.databaseUrl);
  const seeded = await seed(env);
  const m = await machine(redis, env.databaseUrl);
  console.log(`seeded project ${seeded.projectId}: ${JSON.stringify(seeded.counts)}`);
  console.log(`machine: ${m.cpus} × ${m.cpu_model}, ${m.memory_gib} GiB, node ${m.node}, redis ${m.redis}, postgres ${m.postgres}, commit ${m.commit}${m.dirty ? ' (dirty)' : ''}, load average ${m.loadavg_1m_at_start}`);

  const sb = await startSwitchboard(serverEnv);
  children.push(sb);
  const headers = { authorization: `Bearer ${seeded.token}`, 'content-type': 'application/json' };
  const bodies = seeded.distinctIds.map((d) => JSON.stringify({ distinct_id: d }));
  const ofrepBodies = seeded.distinctIds.map((d) => JSON.stringify({ context: { targetingKey: d } }));
  const decideUrl = `http://127.0.0.1:${sb.port}/v1/decide`;
  const ofrepUrl = `http://127.0.0.1:${sb.port}/ofrep/v1/evaluate/flags`;

  // Real handshake bodies: their sizes, and the one closest to the mean becomes the bare servers' body.
  const sample: Array<{ body: string; etag: string }> = [];
  for (let i = 0; i < seeded.distinctIds.length; i += 10) {
    const res = await fetch(decideUrl, { method: 'POST', headers, body: bodies[i] });
    if (res.status !== 200) throw new Error(`handshake answered ${res.status}: ${await res.text()}`);
    sample.push({ body: await res.text(), etag: res.headers.get('etag')! });
  }
  const ofrepProbe = await fetch(ofrepUrl, { method: 'POST', headers, body: ofrepBodies[0] });
  const ofrepBytes = Buffer.byteLength(await ofrepProbe.text());
  if (ofrepProbe.status !== 200) throw new Error(`OFREP bulk answered ${ofrepProbe.status}`);
  const sizes = sample.map((s) => Buffer.byteLength(s.body));
  const meanSize = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  const representative = sample.reduce((best, s) => (Math.abs(Buffer.byteLength(s.body) - meanSize) < Math.abs(Buffer.byteLength(best.body) - meanSize) ? s : best));
  const bodyFile = path.join(tmp, 'handshake.json');
  writeFileSync(bodyFile, representative.body);
  const bodyBytes = Buffer.byteLength(representative.body);
  console.log(`handshake body: ${bodyBytes} bytes (mean ${Math.round(meanSize)}, min ${Math.min(...sizes)}, max ${Math.max(...sizes)}); OFREP bulk ${ofrepBytes} bytes`);

  const etagBodies = sample.map((_, k) => bodies[k * 10]);
  const subjects: Subject[] = [];
  const nodeBare = await startBare('node', bodyFile);
  children.push(nodeBare);
  subjects.push({ child: nodeBare, runs: [{ target: 'bare node:http, same body', spec: { name: 'bare-node-http', url: `http://127.0.0.1:${nodeBare.port}/bare`, headers, bodies } }] });
  if (!opt['no-express']) {
    const expressBare = await startBare('express', bodyFile);
    children.push(expressBare);
    subjects.push({ child: expressBare, runs: [{ target: 'bare express 5, same body', spec: { name: 'bare-express', url: `http://127.0.0.1:${expressBare.port}/bare`, headers, bodies } }] });
  }
  subjects.push({
    child: sb,
    runs: [
      { target: 'Switchboard `POST /v1/decide` (200)', spec: { name: 'decide', url: decideUrl, headers, bodies } },
      { target: 'Switchboard `POST /v1/decide`, If-None-Match (all 304)', spec: { name: 'decide-304', url: decideUrl, headers, bodies: etagBodies, headersFor: (i) => ({ 'if-none-match': sample[i].etag }) } },
      { target: 'Switchboard OFREP bulk `POST /ofrep/v1/evaluate/flags`', spec: { name: 'ofrep-bulk', url: ofrepUrl, headers, bodies: ofrepBodies } },
    ],
  });
  let unleashVersion: string | null = null;
  let unleashError: string | null = null;
  if (WITH_UNLEASH) {
    try {
      console.log('starting the Unleash OSS frontend API (unleash-server from npm, its own database) …');
      const u = await startUnleash(env.databaseUrl);
      children.push(u);
      unleashDb = u.dbUrl;
      unleashVersion = u.version;
      console.log(`  unleash-server ${u.version} on :${u.port}, 50 flags seeded (${u.enabledForFirst} enabled for the first person)`);
      subjects.push({
        child: u,
        runs: [{ target: `Unleash OSS ${u.version} frontend API \`POST /api/frontend\`, same 50 flags`, spec: { name: 'unleash-frontend', url: `http://127.0.0.1:${u.port}/api/frontend`, headers: { authorization: FRONTEND_TOKEN, 'content-type': 'application/json' }, bodies: unleashBodies() } }],
      });
    } catch (err) {
      unleashError = (err as Error).message;
      console.error(`Unleash could not be started, its runs are left out: ${unleashError}`);
    }
  }

  for (const s of subjects) pause(s.child);
  const degraded0 = await degradedTotalPaused(sb);
  const records = new Map<string, RunRecord[]>();
  const closed = { connections: CONNECTIONS, warmupS: WARMUP, durationS: DURATION };
  console.log(`closed loop: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s measured, ${ROUNDS} interleaved round(s)`);
  for (let round = 0; round < ROUNDS; round++) {
    console.log(`round ${round + 1}/${ROUNDS}`);
    // Rotate the order each round, so no server always runs first (or right after another).
    const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
    for (const s of order) {
      resume(s.child);
      try {
        for (const r of s.runs) {
          const rec = await measure(r.target, s.child.proc.pid!, { ...r.spec, ...closed });
          records.set(r.spec.name, [...(records.get(r.spec.name) ?? []), rec]);
        }
      } finally {
        pause(s.child);
      }
    }
  }
  const summary = [...records.values()].map((rs) => summarize(rs));
  const row = (name: string) => summary.find((r) => r.name === name);

  // Open loop: fixed arrival rates, the handshake and the bare node:http server.
  const open: SummaryRow[] = [];
  console.log(`open loop: ${OPEN_CONNECTIONS} connections, fixed rates`);
  for (const [s, name] of [[subjects.find((x) => x.child === sb)!, 'decide'], [subjects[0], 'bare-node-http']] as const) {
    const run = s.runs.find((r) => r.spec.name === name)!;
    const max = row(name)?.req_per_s ?? 0;
    resume(s.child);
    try {
      for (const rate of [...new Set([1000, Math.round(max / 2 / 100) * 100])].filter((x) => x > 0)) {
        const rec = await measure(`${run.target}, open loop ${rate} req/s`, s.child.proc.pid!, { ...run.spec, name: `${name}-open-${rate}`, connections: OPEN_CONNECTIONS, warmupS: 2, durationS: DURATION, rate });
        open.push(summarize([rec]));
      }
    } finally {
      pause(s.child);
    }
  }
  resume(sb);
  const degraded = (await degradedTotal(sb.port)) - degraded0;

  // Optional: the handshake under --cpu-prof, summarized over the measured window exactly.
  let profile: ProfileSummary | undefined;
  let profileRun: SummaryRow | undefined;
  if (opt.profile) {
    for (const s of subjects) if (s.child !== sb) pause(s.child);
    pause(sb);
    const dir = path.join(tmp, 'prof-decide');
    const prof = await startSwitchboard(serverEnv, { cpuProfDir: dir });
    children.push(prof);
    const rec = await measure('Switchboard `POST /v1/decide` under --cpu-prof', prof.proc.pid!, { name: 'decide-profiled', url: decideUrl.replace(String(sb.port), String(prof.port)), headers, bodies, ...closed });
    profileRun = summarize([rec]);
    await prof.stop();
    // --import tsx runs its loader in a worker thread, which writes a profile too: take the main thread's (largest).
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    files.sort((a, b) => statSync(path.join(dir, b)).size - statSync(path.join(dir, a)).size);
    if (files[0]) {
      profile = summarizeProfile(path.join(dir, files[0]), 20, rec.window_us, rec.requests);
      console.log(`  profile ${path.join(dir, files[0])}: busy ${profile.busy_ms} of ${profile.total_ms} ms, ${profile.busy_us_per_request} µs/request`);
      console.table(profile.top_self.slice(0, 15).map((t) => ({ fn: t.fn, where: t.where, 'µs/req': t.us_per_request, '%': t.busy_pct })));
      console.table(profile.areas.slice(0, 15).map((a) => ({ area: a.area, 'µs/req': a.us_per_request, '%': a.busy_pct })));
    }
    resume(sb);
  }

  // Targets (issue 15), each against its result.
  const d = row('decide');
  const d304 = row('decide-304');
  const ofrep = row('ofrep-bulk');
  const bare = row('bare-node-http');
  const unl = row('unleash-frontend');
  const d1000 = open.find((r) => r.name === 'decide-open-1000');
  const f = (x: number, digits = 1) => x.toFixed(digits);
  // The same ratio in server CPU per request: robust when other processes share the machine.
  const cpu = (a: SummaryRow | undefined, b: SummaryRow | undefined, pct = false) =>
    a?.server_cpu_us_per_request && b?.server_cpu_us_per_request ? `; by CPU per request ${pct ? `${f((100 * a.server_cpu_us_per_request) / b.server_cpu_us_per_request)} %` : `${f(a.server_cpu_us_per_request / b.server_cpu_us_per_request, 2)}×`} (${b.server_cpu_us_per_request} vs ${a.server_cpu_us_per_request} µs)` : '';
  const targets: TargetResult[] = [
    unl && d
      ? { target: 'handshake ≥ 10× the Unleash frontend API (req/s)', result: `${f(d.req_per_s / unl.req_per_s)}× (${d.req_per_s} vs ${unl.req_per_s})${cpu(unl, d)}`, pass: d.req_per_s >= 10 * unl.req_per_s }
      : { target: 'handshake ≥ 10× the Unleash frontend API (req/s)', result: `not measured${unleashError ? `: ${unleashError}` : ''}`, pass: null },
    { target: 'handshake ≥ 40 % of bare node:http (req/s)', result: `${f((100 * d!.req_per_s) / bare!.req_per_s)} % (${d!.req_per_s} vs ${bare!.req_per_s})${cpu(bare, d, true)}`, pass: d!.req_per_s >= 0.4 * bare!.req_per_s },
    { target: 'closed-loop p99 at c=32 ≤ 2× bare node:http', result: `${f(d!.p99_ms, 2)} ms vs ${f(bare!.p99_ms, 2)} ms (${f(d!.p99_ms / bare!.p99_ms)}×)`, pass: d!.p99_ms <= 2 * bare!.p99_ms },
    d1000
      ? { target: 'handshake p99 < 5 ms at 1,000 req/s (open loop)', result: `${f(d1000.p99_ms, 2)} ms (p50 ${f(d1000.p50_ms, 2)}, p99.9 ${f(d1000.p99_9_ms, 2)}; achieved ${d1000.req_per_s} req/s)`, pass: d1000.p99_ms < 5 && d1000.req_per_s >= 950 }
      : { target: 'handshake p99 < 5 ms at 1,000 req/s (open loop)', result: 'not measured', pass: null },
    { target: '304 ≥ 2× the 200 path (req/s)', result: `${f(d304!.req_per_s / d!.req_per_s, 2)}× (${d304!.req_per_s} vs ${d!.req_per_s})${cpu(d, d304)}`, pass: d304!.req_per_s >= 2 * d!.req_per_s },
    { target: 'OFREP bulk ≥ the handshake (req/s)', result: `${f(ofrep!.req_per_s / d!.req_per_s, 2)}× (${ofrep!.req_per_s} vs ${d!.req_per_s})${cpu(d, ofrep)}`, pass: ofrep!.req_per_s >= d!.req_per_s },
    {
      target: 'pure evaluation of the 65 definitions ≤ 25 µs (p50), ahead of flagd-core for 50 flags',
      result: `${evaluation.switchboard_decide_all_65.p50_us} µs vs flagd-core ${evaluation.flagd_core_resolve_all_50.p50_us} µs (means ${evaluation.switchboard_decide_all_65.mean_us} / ${evaluation.flagd_core_resolve_all_50.mean_us})`,
      pass: evaluation.switchboard_decide_all_65.p50_us <= 25 && evaluation.switchboard_decide_all_65.p50_us < evaluation.flagd_core_resolve_all_50.p50_us,
    },
    { target: 'no errors, no degraded handshakes', result: `${summary.reduce((a, r) => a + r.errors, 0)} errors, ${degraded} degraded`, pass: summary.every((r) => r.errors === 0 && (r.name === 'decide-304' || r.non_2xx === 0)) && degraded === 0 },
  ];
  const busyOthers = Math.max(...summary.map((r) => r.other_processes_cores));
  const loadEnd = Math.round(os.loadavg()[0] * 100) / 100;

  const date = new Date().toISOString();
  const output = {
    date,
    machine: { ...m, loadavg_1m_at_end: loadEnd },
    pinning,
    load: { tool: 'autocannon 9 (programmatic, in the pinned parent process)', connections: CONNECTIONS, open_loop_connections: OPEN_CONNECTIONS, warmup_s: WARMUP, duration_s: DURATION, rounds: ROUNDS, body: '{"distinct_id": <one of 10,000, rotating>}' },
    seeded: seeded.counts,
    handshake_body_bytes: { bare_body: bodyBytes, mean: Math.round(meanSize), min: Math.min(...sizes), max: Math.max(...sizes), ofrep_bulk: ofrepBytes },
    unleash: { version: unleashVersion, error: unleashError },
    degraded_handshakes: degraded,
    evaluation,
    summary,
    open_loop: open,
    targets,
    profile: profile ? { run: profileRun, ...profile } : undefined,
    runs: Object.fromEntries(records),
  };
  console.log('');
  printSummary([...summary, ...open], targets);
  console.log(`other processes on the machine: up to ${busyOthers} cores during a run; load average ${m.loadavg_1m_at_start} at start, ${loadEnd} at end`);

  const stamp = date.slice(0, 10);
  const out = opt.out ?? path.join(ROOT, 'bench', 'results', `decide-${stamp}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(output, null, 2)}\n`);
  const md = [
    `Recorded ${date.slice(0, 16).replace('T', ' ')} UTC, commit \`${m.commit}\`${m.dirty ? ' (dirty tree)' : ''}${m.server_root ? ` (server from ${m.server_root} at \`${m.server_commit}\`)` : ''}, ${m.cpus} × ${m.cpu_model}, ${m.memory_gib} GiB, Node ${m.node}, Redis ${m.redis}, PostgreSQL ${m.postgres}.`,
    `Servers pinned to CPU ${pinning.server_cpu ?? '–'}, autocannon to CPU ${pinning.load_generator_cpu ?? '–'} (${pinning.tool}); Redis and PostgreSQL unpinned. ${ROUNDS} interleaved round(s) of ${WARMUP} s warm-up + ${DURATION} s, medians.`,
    `Load average ${m.loadavg_1m_at_start} at start, ${loadEnd} at end; other processes used up to ${busyOthers} cores during a run${busyOthers > 0.2 ? ' (a shared, busy machine: read the figures as a floor)' : ''}.`,
    `Handshake body ${bodyBytes.toLocaleString('en-US')} bytes (mean ${Math.round(meanSize).toLocaleString('en-US')}), OFREP bulk ${ofrepBytes.toLocaleString('en-US')} bytes. Degraded handshakes: ${degraded}.`,
    '',
    summaryMarkdown([...summary, ...open]),
    '',
    `Pure evaluation (${evaluation.tool}): Switchboard \`decideAll\`, 65 definitions: p50 ${evaluation.switchboard_decide_all_65.p50_us} µs, mean ${evaluation.switchboard_decide_all_65.mean_us} µs, p99 ${evaluation.switchboard_decide_all_65.p99_us} µs; @openfeature/flagd-core ${evaluation.flagd_core_resolve_all_50.version} \`resolveAll\`, 50 flags: p50 ${evaluation.flagd_core_resolve_all_50.p50_us} µs, mean ${evaluation.flagd_core_resolve_all_50.mean_us} µs, p99 ${evaluation.flagd_core_resolve_all_50.p99_us} µs.`,
    '',
    targetsMarkdown(targets),
    ...(profile
      ? ['', `CPU profile of the handshake under load (\`--cpu-prof\`, the measured window only, ${profile.requests} requests, ${profile.busy_us_per_request} µs busy per request; top self time):`, '', '| function | where | µs/req | % |', '|---|---|---:|---:|', ...profile.top_self.slice(0, 15).map((t) => `| \`${t.fn}\` | ${t.where || 'native'} | ${t.us_per_request} | ${t.busy_pct} |`), '', '| area | µs/req | % |', '|---|---:|---:|', ...profile.areas.slice(0, 15).map((a) => `| ${a.area} | ${a.us_per_request} | ${a.busy_pct} |`)]
      : []),
    '',
  ].join('\n');
  const mdOut = out.replace(/\.json$/, '.md');
  writeFileSync(mdOut, md);
  console.log(`results: ${path.relative(ROOT, out)}, ${path.relative(ROOT, mdOut)}`);
} finally {
  for (const c of children.reverse()) await c.stop().catch(() => {});
  if (!opt.keep) {
    await deletePrefix(redis, env.prefix).catch(() => {});
    await dropDatabase(env.databaseUrl).catch(() => {});
    if (unleashDb) await dropUnleashDatabase(unleashDb).catch(() => {});
  }
  redis.disconnect();
  if (!opt.profile) rmSync(tmp, { recursive: true, force: true });
}

/** The degraded counter of a paused server (resumed for the read). */
async function degradedTotalPaused(child: Child): Promise<number> {
  resume(child);
  try {
    return await degradedTotal(child.port);
  } finally {
    pause(child);
  }
}
