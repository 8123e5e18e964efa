import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A `switchboard worker` (the cohort refresher alone) in its own process, as `npm run worker` runs it. */
export interface ChildWorker {
  proc: ChildProcess;
  pid: number;
  /** the last 4 KB of its stderr and stdout */
  output(): string;
  /** SIGKILL: no cleanup, no lease release (a crash) */
  kill(): Promise<void>;
  /** SIGTERM: graceful stop, the run in progress finishes */
  stop(): Promise<void>;
}

export function startChildWorker(env: { DATABASE_URL: string; REDIS_URL: string; REDIS_PREFIX: string } & Record<string, string>): ChildWorker {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'worker'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-4_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const signal = async (s: NodeJS.Signals, graceMs: number) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(s);
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    proc,
    pid: proc.pid!,
    output: () => out,
    kill: () => signal('SIGKILL', 5_000),
    stop: () => signal('SIGTERM', 15_000),
  };
}
