/**
 * Child processes under test, so the load generator never shares their event loop:
 * the real Switchboard server (`src/main.ts serve`) and the bare baselines (bench/bare-server.ts).
 * Each is started with `node --import tsx` (TypeScript is transformed once at load; the
 * running code is plain JS) and stopped with SIGTERM, which the server handles gracefully
 * (and which lets `--cpu-prof` write its profile).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The tree the Switchboard server runs from: this one, or a patched copy (to measure a proposed
 * change without touching this tree). Extra node flags for the server only: BENCH_SERVER_NODE_ARGS.
 */
export const SERVER_ROOT = process.env.BENCH_SERVER_ROOT ?? ROOT;
// The server runs with the node flags of `npm start` (package.json), unless overridden.
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '--max-semi-space-size=32').split(' ').filter(Boolean);

export interface Child {
  name: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * CPU pinning (issue 15): every server under test on core `BENCH_SERVER_CPU` (0), the load
 * generator (this process, all its threads) on `BENCH_LOAD_CPU` (1), with `taskset`, so each
 * server gets the same single core and never competes with autocannon. Redis and PostgreSQL
 * are shared system services and are left unpinned. Off when the machine has one core or
 * `taskset` is missing (`pinning()` says which).
 */
export const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '0';
export const LOAD_CPU = process.env.BENCH_LOAD_CPU ?? '1';
let tasksetOk: boolean | undefined;
function canPin(): boolean {
  if (tasksetOk === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetOk = os.availableParallelism() >= 2;
    } catch {
      tasksetOk = false;
    }
  }
  return tasksetOk;
}

/** Pins this process (the load generator) to LOAD_CPU; returns what was done, for the record. */
export function pinLoadGenerator(): { server_cpu: string | null; load_generator_cpu: string | null; tool: string } {
  if (!canPin()) return { server_cpu: null, load_generator_cpu: null, tool: 'none (one core or no taskset)' };
  execFileSync('taskset', ['-a', '-cp', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  return { server_cpu: SERVER_CPU, load_generator_cpu: LOAD_CPU, tool: 'taskset' };
}

/** The command that starts `node args` pinned to the server core (taskset execs node: same pid). */
export function pinned(args: string[], cpu = SERVER_CPU): [string, string[]] {
  return canPin() ? ['taskset', ['-c', cpu, process.execPath, ...args]] : [process.execPath, args];
}

/**
 * Pauses an idle server (SIGSTOP) while another is measured, and resumes it (SIGCONT): its
 * timers and background jobs then cost the measured server nothing on the shared core.
 */
export function pause(child: Child): void {
  if (child.proc.exitCode === null) child.proc.kill('SIGSTOP');
}
export function resume(child: Child): void {
  if (child.proc.exitCode === null) child.proc.kill('SIGCONT');
}

/** A free loopback port (bound then released; the child binds it next). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitHttp(url: string, method: 'GET' | 'POST', proc: ChildProcess, timeoutMs: number, accept: (status: number) => boolean): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`child exited with ${proc.exitCode} before answering ${url}`);
    try {
      const res = await fetch(url, { method, signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (accept(res.status)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export function start(name: string, args: string[], env: Record<string, string>, port: number, cwd = ROOT): Child {
  const [cmd, argv] = pinned(args);
  const proc = spawn(cmd, argv, {
    cwd,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  proc.stdout!.on('data', () => {});
  let stopping = false;
  proc.once('exit', (code, signal) => {
    if (!stopping) console.error(`[${name}] exited unexpectedly (code ${code}, signal ${signal}): ${stderr.trim() || '(no stderr)'}`);
  });
  return {
    name,
    port,
    proc,
    async stop() {
      stopping = true;
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      if (proc.exitCode !== 0 && stderr) console.error(`[${name}] ${stderr}`);
    },
  };
}

export interface ServerEnv {
  DATABASE_URL: string;
  REDIS_URL: string;
  REDIS_PREFIX: string;
}

/**
 * The real server: `node --import tsx src/main.ts serve`, no in-process worker, warn logs, no
 * practical rate limit. `root`: the tree to serve (default SERVER_ROOT), its own tsx and
 * node_modules (bench/ab.ts serves two trees in one run); `name` labels its messages.
 */
export async function startSwitchboard(env: ServerEnv, opts: { cpuProfDir?: string; colocatedBareBody?: string; workers?: number; root?: string; name?: string } = {}): Promise<Child & { barePort?: number }> {
  const port = await freePort();
  const root = opts.root ?? SERVER_ROOT;
  const flags = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const extra: Record<string, string> = {};
  let script = [path.join(root, 'src/main.ts'), 'serve'];
  let barePort: number | undefined;
  if (opts.workers) {
    script = [path.join(ROOT, 'bench/cluster-server.ts')];
    extra.BENCH_CLUSTER_WORKERS = String(opts.workers);
  }
  if (opts.colocatedBareBody) {
    barePort = await freePort();
    script = [path.join(ROOT, 'bench/colocated-server.ts')];
    Object.assign(extra, { BARE_PORT: String(barePort), BARE_BODY_FILE: opts.colocatedBareBody });
  }
  const child = start(opts.name ?? 'switchboard', [...SERVER_NODE_ARGS, ...flags, '--import', 'tsx', ...script], {
    ...env,
    ...extra,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RUN_WORKER: 'false',
    RATE_LIMIT_PER_S: '1000000000',
  }, port, root);
  await waitHttp(`http://127.0.0.1:${port}/readyz`, 'GET', child.proc, 30_000, (s) => s === 200);
  if (barePort) await waitHttp(`http://127.0.0.1:${barePort}/bare`, 'POST', child.proc, 30_000, (s) => s < 500);
  return { ...child, barePort };
}

/** A bare baseline answering `bodyFile`: express 5 (`POST /bare`) or node:http (any path). */
export async function startBare(kind: 'express' | 'node', bodyFile: string, opts: { cpuProfDir?: string } = {}): Promise<Child> {
  const port = await freePort();
  const flags = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const child = start(`bare-${kind}`, [...flags, '--import', 'tsx', 'bench/bare-server.ts'], { BARE_KIND: kind, BARE_BODY_FILE: bodyFile }, port);
  await waitHttp(`http://127.0.0.1:${port}/bare`, 'POST', child.proc, 30_000, (s) => s < 500);
  return child;
}
