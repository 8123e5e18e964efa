/**
 * `npm run bench:ab -- --base <tree>`: the handshake of another tree (the base of a
 * no-regression check, e.g. issue 11's `d79d8db`) next to this one, in ONE run (docs/performance.md
 * "Issue 11 no-regression comparison").
 *
 * Each tree is seeded by its own code (its bench/seed.ts and migrations, run by bench/ab-seed.ts
 * in a child whose cwd is that tree) into its own database and Redis prefix
 * (`switchboard_bench_ab_base` / `benchab-base:`, `switchboard_bench_ab_today` /
 * `benchab-today:`, both dropped and cleared at start and end), and served by its own
 * `src/main.ts serve` with its own node_modules. Both servers run on CPU 0, the load generator
 * (autocannon, this process) on CPU 1; the idle server is SIGSTOPped while the other is
 * measured. Before any load, 1,000 persons' handshakes are fetched from both: every one must
 * be a 200 with the seeded number of decisions and no ERROR decision, and the bodies are
 * compared (sizes, decisions, shape; bench/ab-bodies.ts). Then `--rounds` interleaved rounds,
 * each a pair of `POST /v1/decide` (200) runs, base and today back to back, then a pair of the
 * same with If-None-Match (all 304); the first tree of a pair alternates. Closed loop, 32
 * connections, warm-up discarded.
 *
 * Prints and writes bench/results/ab-issue11-<date>.json (every run's record) and .md: req/s,
 * p50/p99, server CPU µs per request per tree, the ratio today/base (of the medians and the
 * median of each round's pair) and the verdict (see docs/performance.md for what "does not
 * regress" means). Exit code 0 whatever the verdict; 2 when the base tree is missing or not
 * installed; 1 when a server does not answer real handshakes.
 *
 * Options: --base <tree> (required)  --rounds n (3)  --duration s (10, ≤ 12)  --warmup s (3)
 * --connections n (32)  --quiet-wait s (10)  --redis-timeout-ms ms (1000 for both servers; 0: each
 * tree's default)  --profile (each tree once more under --cpu-prof,
 * summarized by bench/profile.ts)  --keep (leave databases and keys)  --out <file.json>.
 * DATABASE_URL / REDIS_URL: the servers to use (the database names are the bench's own).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRedis, waitForRedis } from '../src/adapters/redis/client.js';
import { compareBodies, type BodyComparison } from './ab-bodies.js';
import type { LoadSpec } from './load.js';
import { machine } from './machine.js';
import { createMeasure, degradedTotal } from './measure.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { summarize, summaryMarkdown, type RunRecord, type SummaryRow } from './report.js';
import { deletePrefix, dropDatabase } from './seed.js';
import { pause, pinLoadGenerator, resume, ROOT, startSwitchboard, type Child } from './servers.js';
import { abVerdict, ratioRows, ratiosMarkdown, type RatioRow, type Tree } from './ab-report.js';

const { values: opt } = parseArgs({
  options: {
    base: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    'quiet-wait': { type: 'string', default: '10' },
    'redis-timeout-ms': { type: 'string', default: '1000' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const ROUNDS = Math.max(1, Number(opt.rounds));
const DURATION = Math.min(Number(opt.duration), 12);
const WARMUP = Math.min(Number(opt.warmup), 3);
const CONNECTIONS = Number(opt.connections);
// Both servers' REDIS_TIMEOUT_MS (0: each tree's default, 50 ms). The A/B measures the handshake's
// work: on a busy machine the base's 50 ms command timeout, counted from the send, sheds handshakes
// as degraded defaults, which are cheaper and would flatter it (docs/performance.md).
const REDIS_TIMEOUT_MS = Number(opt['redis-timeout-ms']);

/** Before anything is started: the message and exit code 2. */
function fail(message: string): never {
  console.error(`bench:ab: ${message}`);
  process.exit(2);
}

/** Once servers or databases exist: thrown, so the cleanup runs; exit code 1. */
class AbError extends Error {}
function abort(message: string): never {
  throw new AbError(message);
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** The base tree must be a checkout with the server, the seed and its own installed tsx. */
function checkTree(root: string | undefined): string {
  const how = 'create it with `git worktree add --detach /work/wt-base d79d8db && (cd /work/wt-base && npm ci)`';
  if (!root) fail(`--base <tree> is required (the tree to compare with); ${how}`);
  const abs = path.resolve(root);
  if (!existsSync(abs)) fail(`the base tree ${abs} does not exist; ${how}`);
  for (const f of ['src/main.ts', 'bench/seed.ts', 'package.json']) if (!existsSync(path.join(abs, f))) fail(`${abs} is not a Switchboard tree with the bench seed (no ${f})`);
  if (!existsSync(path.join(abs, 'node_modules', 'tsx', 'package.json'))) fail(`${abs} is not installed (no node_modules/tsx): run \`npm ci\` there (its lockfile, not this tree's)`);
  if (abs === ROOT) fail('--base is this tree: give the other tree');
  return abs;
}

const baseRoot = checkTree(opt.base);
const pinning = pinLoadGenerator();
const pgUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/switchboard');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const dbOf = (name: string) => Object.assign(new URL(pgUrl), { pathname: `/${name}` }).toString();

interface TreeRun {
  tree: Tree;
  root: string;
  commit: string;
  dirty: boolean;
  databaseUrl: string;
  prefix: string;
  child?: Child;
  seeded?: { projectId: number; token: string; distinctIds: string[]; counts: Record<string, number> };
  sample?: Array<{ body: string; etag: string }>;
  degraded0?: number;
}
const trees: TreeRun[] = [
  { tree: 'base', root: baseRoot, commit: git(baseRoot, ['rev-parse', '--short=12', 'HEAD']) || 'unknown', dirty: git(baseRoot, ['status', '--porcelain', '--untracked-files=no']) !== '', databaseUrl: dbOf('switchboard_bench_ab_base'), prefix: 'benchab-base:' },
  { tree: 'today', root: ROOT, commit: git(ROOT, ['rev-parse', '--short=12', 'HEAD']) || 'unknown', dirty: git(ROOT, ['status', '--porcelain', '--untracked-files=no']) !== '', databaseUrl: dbOf('switchboard_bench_ab_today'), prefix: 'benchab-today:' },
];

const redis = createRedis({ url: redisUrl, commandTimeoutMs: 30_000 });
await waitForRedis(redis, 3_000);
const measure = createMeasure(redis, Number(opt['quiet-wait']));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sb-bench-ab-'));
const children: Child[] = [];

let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const c of children.reverse()) await c.stop().catch(() => {});
  if (!opt.keep) {
    for (const t of trees) {
      await deletePrefix(redis, t.prefix).catch(() => {});
      await dropDatabase(t.databaseUrl).catch(() => {});
    }
  }
  redis.disconnect();
  if (!opt.profile) rmSync(tmp, { recursive: true, force: true });
}
// Ctrl-C or a kill: never leave a SIGSTOPped server, a bench database or keys behind.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the servers and cleaning up …`);
    void cleanup().finally(() => process.exit(130));
  });
}

function serverEnv(t: TreeRun) {
  return { DATABASE_URL: t.databaseUrl, REDIS_URL: redisUrl, REDIS_PREFIX: t.prefix, ...(REDIS_TIMEOUT_MS > 0 ? { REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS) } : {}) };
}

/** Seeds one tree with its own seed code (bench/ab-seed.ts in a child whose cwd is the tree). */
async function seedTree(t: TreeRun): Promise<NonNullable<TreeRun['seeded']>> {
  await deletePrefix(redis, t.prefix);
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'ab-seed.ts'), t.root, t.databaseUrl, redisUrl, t.prefix], { cwd: t.root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('SEEDED '));
  if (code !== 0 || !line) abort(`seeding the ${t.tree} tree (${t.root}) with its own bench/seed.ts failed (exit ${code}): ${err.trim() || out.slice(-2000)}`);
  return JSON.parse(line.slice('SEEDED '.length));
}

/** 1,000 persons' handshakes (every 10th): each must be a real answer, not an error or a degraded default. */
async function sampleTree(t: TreeRun): Promise<Array<{ body: string; etag: string }>> {
  const s = t.seeded!;
  const url = `http://127.0.0.1:${t.child!.port}/v1/decide`;
  const out: Array<{ body: string; etag: string }> = [];
  for (let i = 0; i < s.distinctIds.length; i += 10) {
    const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ distinct_id: s.distinctIds[i] }) });
    const body = await res.text();
    if (res.status !== 200) abort(`the ${t.tree} server answered ${res.status} for ${s.distinctIds[i]}: ${body.slice(0, 500)}`);
    const parsed = JSON.parse(body) as { flags?: object; configs?: object; snapshot?: { degraded?: boolean } };
    const flags = Object.keys(parsed.flags ?? {}).length;
    if (flags !== s.counts.flags) abort(`the ${t.tree} server answered ${flags} flags for ${s.distinctIds[i]}, ${s.counts.flags} were seeded: ${body.slice(0, 500)}`);
    if (parsed.snapshot?.degraded) abort(`the ${t.tree} server answered a degraded handshake (no Redis?): ${body.slice(0, 500)}`);
    out.push({ body, etag: res.headers.get('etag') ?? '' });
  }
  if (out.some((x) => !x.etag)) abort(`the ${t.tree} server sent no ETag: the 304 run cannot be measured`);
  return out;
}

try {
  const loadStart = Math.round(os.loadavg()[0] * 100) / 100;
  console.log(`base ${baseRoot} at ${trees[0].commit}${trees[0].dirty ? ' (dirty)' : ''}; today ${ROOT} at ${trees[1].commit}${trees[1].dirty ? ' (dirty)' : ''}`);
  console.log(`pinning: servers on CPU ${pinning.server_cpu ?? '-'}, load generator on CPU ${pinning.load_generator_cpu ?? '-'} (${pinning.tool}); load average ${loadStart}`);
  for (const t of trees) {
    console.log(`seeding the ${t.tree} tree with its own seed: ${new URL(t.databaseUrl).pathname.slice(1)}, Redis prefix ${t.prefix} …`);
    t.seeded = await seedTree(t);
    console.log(`  ${JSON.stringify(t.seeded.counts)}`);
  }
  const m = await machine(redis, trees[1].databaseUrl);
  for (const t of trees) {
    t.child = await startSwitchboard(serverEnv(t), { root: t.root, name: `switchboard-${t.tree}` });
    children.push(t.child);
    t.sample = await sampleTree(t);
    t.degraded0 = await degradedTotal(t.child.port);
    pause(t.child);
  }
  const [base, today] = trees;
  for (const k of Object.keys(base.seeded!.counts)) {
    if (base.seeded!.counts[k] !== today.seeded!.counts[k]) console.warn(`  the seeds differ: ${k} ${base.seeded!.counts[k]} (base) vs ${today.seeded!.counts[k]} (today)`);
  }
  const bodies: BodyComparison = compareBodies({ bodies: base.sample!.map((s) => s.body) }, { bodies: today.sample!.map((s) => s.body) });
  console.log(`handshake bodies (1,000 persons): base mean ${bodies.base.bytes.mean} bytes, today ${bodies.today.bytes.mean} bytes; with times as unix ms ${bodies.base.bytes_times_as_ms_mean} vs ${bodies.today.bytes_times_as_ms_mean}; as_of as ms/ISO: base ${bodies.base.as_of.ms}/${bodies.base.as_of.iso}, today ${bodies.today.as_of.ms}/${bodies.today.as_of.iso}`);
  console.log(`  decisions per body: base ${JSON.stringify(bodies.base.decisions)}, today ${JSON.stringify(bodies.today.decisions)}; same decisions for ${bodies.same_decisions} of ${bodies.base.persons} persons; other shape differences: ${bodies.shape_differences.map((d) => `${d.path} (${d.persons})`).join(', ') || 'none'}`);

  const records = new Map<string, RunRecord[]>();
  const closed = { connections: CONNECTIONS, warmupS: WARMUP, durationS: DURATION };
  const runsOf = (t: TreeRun): Array<{ name: string; target: string; spec: Omit<LoadSpec, 'connections' | 'warmupS' | 'durationS'> }> => {
    const s = t.seeded!;
    const url = `http://127.0.0.1:${t.child!.port}/v1/decide`;
    const headers = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
    const all = s.distinctIds.map((d) => JSON.stringify({ distinct_id: d }));
    const sampled = t.sample!.map((_, k) => all[k * 10]);
    return [
      { name: 'decide', target: `${t.tree} \`${t.commit}\`: \`POST /v1/decide\` (200)`, spec: { name: `${t.tree}-decide`, url, headers, bodies: all } },
      { name: 'decide-304', target: `${t.tree} \`${t.commit}\`: \`POST /v1/decide\`, If-None-Match (all 304)`, spec: { name: `${t.tree}-decide-304`, url, headers, bodies: sampled, headersFor: (i) => ({ 'if-none-match': t.sample![i].etag }) } },
    ];
  };
  console.log(`closed loop: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s measured, ${ROUNDS} interleaved round(s)`);
  for (let round = 0; round < ROUNDS; round++) {
    console.log(`round ${round + 1}/${ROUNDS}`);
    // Per kind of run, the two trees back to back (a pair seconds apart, so the neighbours' load
    // drifts little within it); which tree goes first alternates every pair.
    for (const [k, kind] of ['decide', 'decide-304'].entries()) {
      for (const t of (round + k) % 2 ? [today, base] : [base, today]) {
        const r = runsOf(t).find((x) => x.name === kind)!;
        resume(t.child!);
        try {
          const d0 = await degradedTotal(t.child!.port);
          const rec: RunRecord & { degraded?: number } = await measure(r.target, t.child!.proc.pid!, { ...r.spec, ...closed });
          // Degraded handshakes (defaults, no Redis answer in time) during this run, warm-up included.
          rec.degraded = (await degradedTotal(t.child!.port)) - d0;
          if (rec.degraded) console.warn(`  ${r.spec.name}: ${rec.degraded} degraded handshakes (Redis did not answer within the timeout)`);
          records.set(r.spec.name, [...(records.get(r.spec.name) ?? []), rec]);
        } finally {
          pause(t.child!);
        }
      }
    }
  }
  const degraded: Record<Tree, number> = { base: 0, today: 0 };
  for (const t of trees) {
    resume(t.child!);
    degraded[t.tree] = (await degradedTotal(t.child!.port)) - t.degraded0!;
    pause(t.child!);
  }
  const summary = [...records.values()].map((rs) => summarize(rs));
  const ratios: RatioRow[] = ratioRows(records);
  const loadEnd = Math.round(os.loadavg()[0] * 100) / 100;
  const busyOthers = Math.max(...summary.map((r) => r.other_processes_cores));
  // What would make the figures not like for like: said next to the verdict, never dropped.
  const caveats: string[] = [];
  for (const r of summary) {
    const total = Object.values(r.status_codes).reduce((a, b) => a + b, 0);
    const expected = r.name.endsWith('-304') ? '304' : '200';
    const share = (r.status_codes[expected] ?? 0) / Math.max(1, total);
    if (share < 0.99) caveats.push(`${r.name}: only ${(100 * share).toFixed(1)} % answered ${expected} (${JSON.stringify(r.status_codes)})`);
    if (r.errors) caveats.push(`${r.name}: ${r.errors} errors or timeouts`);
  }
  for (const t of ['base', 'today'] as const) if (degraded[t]) caveats.push(`${t}: ${degraded[t]} degraded handshakes (cheaper default answers) during the runs`);
  if (busyOthers > 0.2) caveats.push(`other processes used up to ${busyOthers} cores during a run (load average ${loadStart} at start, ${loadEnd} at end): a shared machine, the absolute figures are a floor and the ratios carry its noise`);
  const v = abVerdict(ratios);
  const verdict = { ...v, caveats, text: caveats.length ? `${v.text} Caveats: ${caveats.join('; ')}.` : v.text };

  // Optional: each tree's handshake once more under --cpu-prof (the measured window only).
  const profiles: Partial<Record<Tree, ProfileSummary & { run: SummaryRow }>> = {};
  if (opt.profile) {
    for (const t of trees) {
      const dir = path.join(tmp, `prof-${t.tree}`);
      const prof = await startSwitchboard(serverEnv(t), { root: t.root, name: `switchboard-${t.tree}-profiled`, cpuProfDir: dir });
      children.push(prof);
      const spec = runsOf(t)[0].spec;
      const rec = await measure(`${t.tree} under --cpu-prof`, prof.proc.pid!, { ...spec, name: `${t.tree}-decide-profiled`, url: spec.url.replace(`:${t.child!.port}/`, `:${prof.port}/`), ...closed });
      await prof.stop();
      // tsx's loader thread writes a profile too: the main thread's is the largest.
      const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      files.sort((a, b) => statSync(path.join(dir, b)).size - statSync(path.join(dir, a)).size);
      if (files[0]) {
        profiles[t.tree] = { run: summarize([rec]), ...summarizeProfile(path.join(dir, files[0]), 25, rec.window_us, rec.requests) };
        console.log(`  ${t.tree} profile ${path.join(dir, files[0])}: ${profiles[t.tree]!.busy_us_per_request} µs busy per request`);
      }
    }
  }

  const date = new Date().toISOString();
  const output = {
    date,
    trees: Object.fromEntries(trees.map((t) => [t.tree, { root: t.root, commit: t.commit, dirty: t.dirty, database: new URL(t.databaseUrl).pathname.slice(1), redis_prefix: t.prefix, seeded: t.seeded!.counts }])),
    machine: { ...m, loadavg_1m_at_start: loadStart, loadavg_1m_before_load: m.loadavg_1m_at_start, loadavg_1m_at_end: loadEnd },
    pinning,
    load: { tool: 'autocannon 9 (programmatic, in the pinned parent process)', connections: CONNECTIONS, warmup_s: WARMUP, duration_s: DURATION, rounds: ROUNDS, order: 'per round: the 200 pair, then the 304 pair; the first tree of a pair alternates (base first for the 200 pair of odd rounds)' },
    bodies,
    degraded_handshakes: degraded,
    summary,
    ratios,
    verdict,
    profiles: opt.profile ? profiles : undefined,
    runs: Object.fromEntries(records),
  };

  console.log('');
  console.log(ratiosMarkdown(ratios));
  console.log(`\n${verdict.text}`);
  console.log(`other processes: up to ${busyOthers} cores during a run; load average ${loadStart} at start, ${loadEnd} at end; degraded handshakes base ${degraded.base}, today ${degraded.today}`);

  const out = opt.out ?? path.join(ROOT, 'bench', 'results', `ab-issue11-${date.slice(0, 10)}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(output, null, 2)}\n`);
  const b = bodies;
  const md = [
    `Recorded ${date.slice(0, 16).replace('T', ' ')} UTC: base \`${base.commit}\`${base.dirty ? ' (dirty)' : ''} (${base.root}) against today \`${today.commit}\`${today.dirty ? ' (dirty)' : ''}, ${m.cpus} × ${m.cpu_model}, ${m.memory_gib} GiB, Node ${m.node}, Redis ${m.redis}, PostgreSQL ${m.postgres}.`,
    `Both servers pinned to CPU ${pinning.server_cpu ?? '–'} (the idle one SIGSTOPped), autocannon to CPU ${pinning.load_generator_cpu ?? '–'} (${pinning.tool}); ${ROUNDS} interleaved round(s) of ${WARMUP} s warm-up + ${DURATION} s at c=${CONNECTIONS}, medians.`,
    `Load average ${loadStart} at start, ${loadEnd} at end; other processes used up to ${busyOthers} cores during a run${busyOthers > 0.2 ? ' (a shared, busy machine)' : ''}. Degraded handshakes: base ${degraded.base}, today ${degraded.today}.`,
    '',
    '| handshake body (1,000 persons) | base | today |',
    '|---|---:|---:|',
    `| bytes, mean (min–max) | ${b.base.bytes.mean} (${b.base.bytes.min}–${b.base.bytes.max}) | ${b.today.bytes.mean} (${b.today.bytes.min}–${b.today.bytes.max}) |`,
    `| bytes with every timestamp as unix ms | ${b.base.bytes_times_as_ms_mean} | ${b.today.bytes_times_as_ms_mean} |`,
    `| \`as_of\` fields: unix ms / ISO string | ${b.base.as_of.ms} / ${b.base.as_of.iso} | ${b.today.as_of.ms} / ${b.today.as_of.iso} |`,
    `| flags / configs / eligible surveys | ${b.base.decisions.flags} / ${b.base.decisions.configs} / ${b.base.decisions.surveys} | ${b.today.decisions.flags} / ${b.today.decisions.configs} / ${b.today.decisions.surveys} |`,
    `| ERROR decisions | ${b.base.error_decisions} | ${b.today.error_decisions} |`,
    '',
    `Same decisions (value, variant, reason of every key) for ${b.same_decisions} of ${b.base.persons} persons${b.differing_keys.length ? `; differing keys: ${b.differing_keys.map((k) => `\`${k.key}\` (${k.persons})`).join(', ')}` : ''}. Other differences once times are unix ms: ${b.shape_differences.map((d) => `\`${d.path}\` (${d.persons})`).join(', ') || 'none'}.`,
    '',
    summaryMarkdown(summary),
    '',
    ratiosMarkdown(ratios),
    '',
    `**${verdict.text}**`,
    ...(['base', 'today'] as const).flatMap((t) => {
      const p = profiles[t];
      return p ? ['', `CPU profile, ${t} (\`--cpu-prof\`, measured window, ${p.requests} requests at ${p.run.req_per_s} req/s, ${p.busy_us_per_request} µs busy per request):`, '', '| area | µs/req | % |', '|---|---:|---:|', ...p.areas.slice(0, 15).map((a) => `| ${a.area} | ${a.us_per_request} | ${a.busy_pct} |`)] : [];
    }),
    '',
  ].join('\n');
  const mdOut = out.replace(/\.json$/, '.md');
  writeFileSync(mdOut, md);
  console.log(`results: ${path.relative(ROOT, out)}, ${path.relative(ROOT, mdOut)}`);
} catch (err) {
  if (!(err instanceof AbError)) throw err;
  console.error(`bench:ab: ${err.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
