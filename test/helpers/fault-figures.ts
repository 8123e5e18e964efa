/**
 * Figures measured by the fault suite (test/faults/): printed always, and merged into
 * bench/results/faults-<YYYY-MM-DD>.json when FAULTS_RECORD=1, under the fault's name, with
 * the machine and commit they were measured on. Test files run in parallel processes, so
 * the merge holds a lock file.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function machine() {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    cpus: os.availableParallelism(),
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    commit: git('rev-parse', '--short=12', 'HEAD'),
    loadavg_1m: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

export async function recordFigures(fault: string, figures: Record<string, unknown>): Promise<void> {
  const entry = { measured_at: new Date().toISOString(), machine: machine(), ...figures };
  console.log(`FAULT ${fault} ${JSON.stringify(entry)}`);
  if (process.env.FAULTS_RECORD !== '1') return;
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `faults-${entry.measured_at.slice(0, 10)}.json`);
  const lock = `${file}.lock`;
  for (let i = 0; ; i++) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      if (i > 200) throw new Error(`cannot lock ${lock}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    all[fault] = entry;
    writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  } finally {
    rmSync(lock, { force: true });
  }
}
