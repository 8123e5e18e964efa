/**
 * Child processes under test, so the load generator never shares their event loop:
 * the real Switchboard server (`src/main.ts serve`) and the bare baselines (bench/bare-server.ts).
 * Each is started with `node --import tsx` (TypeScript is transformed once at load; the
 * running code is plain JS) and stopped with SIGTERM, which the server handles gracefully
 * (and which lets `--cpu-prof` write its profile).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The tree the Switchboard server runs from: this one, or a patched copy (to measure a proposed
 * change without touching this tree). Extra node flags for the server only: BENCH_SERVER_NODE_ARGS.
 */
const SERVER_ROOT = process.env.BENCH_SERVER_ROOT ?? ROOT;
// The server runs with the node flags of `npm start` (package.json), unless overridden.
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '--max-semi-space-size=32').split(' ').filter(Boolean);

export interface Child {
  name: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
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

async function waitHttp(url: string, method: 'GET' | 'POST', proc: ChildProcess, timeoutMs: number, accept: (status: number) => boolean): Promise<void> {
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

function start(name: string, args: string[], env: Record<string, string>, port: number, cwd = ROOT): Child {
  const proc = spawn(process.execPath, args, {
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

/** The real server: `node --import tsx src/main.ts serve`, no in-process worker, warn logs, no practical rate limit. */
export async function startSwitchboard(env: ServerEnv, opts: { cpuProfDir?: string; colocatedBareBody?: string; workers?: number } = {}): Promise<Child & { barePort?: number }> {
  const port = await freePort();
  const flags = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const extra: Record<string, string> = {};
  let script = [path.join(SERVER_ROOT, 'src/main.ts'), 'serve'];
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
  const child = start('switchboard', [...SERVER_NODE_ARGS, ...flags, '--import', 'tsx', ...script], {
    ...env,
    ...extra,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RUN_WORKER: 'false',
    RATE_LIMIT_PER_S: '1000000000',
  }, port, SERVER_ROOT);
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
