/**
 * The suite's log check (PRODUCT.md 12, issue 14): every test context logs at debug level
 * through the real logger (src/logging.ts) into one file per context under a directory the
 * global setup makes; at the end the global teardown reads every line and fails the run if
 * any holds a project token or admin secret, or an `Authorization` header's value.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/** What must never be in a log line: full tokens and secrets, and bearer credentials. */
const LEAKS = [/\bsb[ap]_[A-Za-z0-9_-]{12,}/, /Bearer\s+[A-Za-z0-9_.~+/-]{12,}/i];

export function makeLogDir(): string {
  const dir = path.resolve('tmp', `test-logs-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Scans every log file; returns the number of lines read and the first leaks (file, line). */
export function scanLogs(dir: string): { lines: number; files: number; leaks: string[] } {
  let lines = 0;
  const leaks: string[] = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
  for (const f of files) {
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      lines++;
      if (leaks.length < 10 && LEAKS.some((re) => re.test(line))) leaks.push(`${f}: ${line.slice(0, 400)}`);
    }
  }
  return { lines, files: files.length, leaks };
}
