import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './redis-process.js';

const run = promisify(execFile);

export interface LocalCluster {
  /** `redis-cluster://127.0.0.1:p1,…` for REDIS_URL */
  url: string;
  ports: number[];
  /** the ports of the current masters */
  masters(): Promise<number[]>;
  /** SIGKILLs the node on `port` (a test's fault) */
  kill(port: number): Promise<void>;
  /** waits until every live node reports cluster_state:ok */
  waitOk(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** True when this redis-server can run in cluster mode (the test suite skips with a message otherwise). */
export async function clusterSupported(): Promise<boolean> {
  try {
    const { stdout } = await run('redis-server', ['--version']);
    await run('redis-cli', ['--version']);
    const major = Number(/v=(\d+)/.exec(stdout)?.[1] ?? 0);
    return major >= 5;
  } catch {
    return false;
  }
}

async function info(port: number, section: 'cluster' | 'replication'): Promise<string> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  r.on('error', () => {});
  try {
    await r.connect();
    return section === 'cluster' ? ((await r.cluster('INFO')) as string) : await r.info('replication');
  } finally {
    r.disconnect();
  }
}

/**
 * A private Redis Cluster on loopback: `masters` masters with one replica each (6 processes by
 * default), no persistence, `cluster-node-timeout` 2 s so a failover takes a few seconds.
 * Only these processes are ever stopped; the machine's own Redis is never touched.
 */
export async function startRedisCluster(opts: { masters?: number; nodeTimeoutMs?: number } = {}): Promise<LocalCluster> {
  const n = (opts.masters ?? 3) * 2;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const children = new Map<number, ChildProcess>();
  for (const port of ports) {
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
      '--cluster-node-timeout', String(opts.nodeTimeoutMs ?? 2_000), '--save', '', '--appendonly', 'no', '--dir', dir,
    ], { stdio: 'ignore' });
    children.set(port, child);
  }
  for (const port of ports) {
    for (let t = 0; ; t++) {
      try {
        await info(port, 'replication');
        break;
      } catch {
        if (t > 100) throw new Error(`cluster node ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 60_000 });

  const live = () => ports.filter((p) => children.has(p));
  const cluster: LocalCluster = {
    url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ports,
    async masters() {
      const out: number[] = [];
      for (const p of live()) if (/role:master/.test(await info(p, 'replication').catch(() => ''))) out.push(p);
      return out;
    },
    async kill(port) {
      const c = children.get(port);
      children.delete(port);
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
    async waitOk(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const states = await Promise.all(live().map((p) => info(p, 'cluster').catch(() => '')));
        if (states.every((s) => /cluster_state:ok/.test(s))) return;
        if (Date.now() > deadline) throw new Error('the cluster did not reach cluster_state:ok');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      for (const p of [...children.keys()]) await cluster.kill(p);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.waitOk();
  // A master's replica can take over only once it is in sync: wait for every link (a test that
  // kills a master right after start-up would otherwise find no replica eligible).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const replication = await Promise.all(ports.map((p) => info(p, 'replication').catch(() => '')));
    const replicasUp = replication.filter((r) => /role:slave/.test(r)).every((r) => /master_link_status:up/.test(r) && /master_sync_in_progress:0/.test(r));
    const mastersServed = replication.filter((r) => /role:master/.test(r)).every((r) => /slave0:.*state=online/.test(r));
    if (replicasUp && mastersServed) break;
    if (Date.now() > deadline) throw new Error('the cluster replicas did not come in sync');
    await new Promise((r) => setTimeout(r, 100));
  }
  return cluster;
}
