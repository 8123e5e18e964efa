/**
 * What a result was measured on: CPU, memory, Node, Redis and PostgreSQL versions, the
 * commit, and how busy the machine was. Also CPU time of a process (from /proc) and of
 * Redis (INFO cpu), so a run can tell which process saturated a core.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import pg from 'pg';
import type { RedisClient } from '../src/adapters/redis/client.js';
import { ROOT, SERVER_ROOT } from './servers.js';

export interface Machine {
  cpus: number;
  cpu_model: string;
  memory_gib: number;
  os: string;
  node: string;
  redis: string;
  postgres: string;
  commit: string;
  /** true when the work tree had uncommitted changes (the bench measures the tree, not the commit) */
  dirty: boolean;
  loadavg_1m_at_start: number;
  /** the tree the Switchboard server runs from (BENCH_SERVER_ROOT) when it is not this one, and its commit */
  server_root?: string;
  server_commit?: string;
}

function sh(cmd: string, args: string[], cwd = ROOT): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export async function machine(redis: RedisClient, databaseUrl: string): Promise<Machine> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const info = await redis.info('server');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  await client.end();
  return {
    // os.cpus(), not availableParallelism(): the bench pins itself to one core before asking.
    cpus: os.cpus().length,
    cpu_model: model,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    postgres: rows[0].server_version,
    commit: sh('git', ['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    dirty: sh('git', ['status', '--porcelain', '--untracked-files=no']).length > 0,
    loadavg_1m_at_start: Math.round(os.loadavg()[0] * 100) / 100,
    ...(SERVER_ROOT !== ROOT ? { server_root: SERVER_ROOT, server_commit: sh('git', ['rev-parse', '--short=12', 'HEAD'], SERVER_ROOT) || 'unknown' } : {}),
  };
}

const TICK_S = 0.01; // USER_HZ is 100 on Linux

/** CPU seconds (user + system) a process has used so far. */
export function processCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_S;
}

/** CPU seconds the Redis server has used so far (all its clients, not only ours). */
export async function redisCpuS(redis: RedisClient): Promise<number> {
  const info = await redis.info('cpu');
  const user = Number(/used_cpu_user:(\S+)/.exec(info)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:(\S+)/.exec(info)?.[1] ?? 0);
  return user + sys;
}

/** CPU seconds the whole machine has been busy so far (all cores; /proc/stat, excluding idle and iowait). */
export function machineBusyS(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpu;
  return (user + nice + system + irq + softirq + steal) * TICK_S;
}
