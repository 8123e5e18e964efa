/** What an SDK benchmark ran on: CPU, memory, Node, the commit, whether the tree (results aside) was dirty, load. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { ROOT } from './servers.js';

const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};

export function sdkMachine() {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    cpus: os.cpus().length,
    cpu_model: model,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    commit: sh('git', ['rev-parse', 'HEAD']),
    // results this run writes do not make the tree dirty
    dirty: sh('git', ['status', '--porcelain', '--', '.', ':!bench/results']) !== '',
    loadavg_1m_at_start: os.loadavg()[0],
  };
}
