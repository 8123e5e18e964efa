/** Printing and verdict of a bench run (no I/O but the console). */
import type { LoadResult } from './load.js';

/** A load run plus where the CPU went during it (cores = CPU seconds / wall seconds). */
export interface RunRecord extends LoadResult {
  target: string;
  /** cores the machine was busy with in the second before the run (others' work skews results) */
  machine_busy_cores_before: number;
  cpu_cores: { server: number | null; redis: number; load_generator: number; whole_machine: number; other_processes: number };
  /** server process CPU (all its threads) per request during the measured part, µs: robust to a busy machine */
  server_cpu_us_per_request: number | null;
  /** Redis-side cost of the handshake script during the run (INFO commandstats), µs per call */
  redis_evalsha_us_per_call?: number;
}

export interface Verdict {
  ratio: number;
  p99_ms: number;
  target: string;
  pass: boolean;
}

export const TARGET = { ratio: 0.5, p99Ms: 15 };

export function verdict(decide: LoadResult, bare: LoadResult): Verdict {
  const ratio = Math.round((decide.req_per_s / bare.req_per_s) * 1000) / 1000;
  const p99 = decide.latency_ms.p99;
  return {
    ratio,
    p99_ms: p99,
    target: `req/s ≥ ${TARGET.ratio * 100} % of the bare express route and p99 < ${TARGET.p99Ms} ms at the same concurrency`,
    pass: ratio >= TARGET.ratio && p99 < TARGET.p99Ms && decide.errors === 0 && decide.non_2xx === 0,
  };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

export function printTable(runs: readonly RunRecord[]): void {
  const head = ['run', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'errors', 'non-2xx', 'bytes/resp', 'server cores', 'server µs/req', 'redis cores', 'loadgen cores', 'other cores'];
  const rows = runs.map((r) => [
    r.name,
    r.req_per_s,
    r.latency_ms.p50.toFixed(2),
    r.latency_ms.p90.toFixed(2),
    r.latency_ms.p99.toFixed(2),
    r.latency_ms.p99_9.toFixed(2),
    r.errors + r.timeouts,
    r.non_2xx,
    r.response_bytes_avg,
    r.cpu_cores.server === null ? '-' : r.cpu_cores.server.toFixed(2),
    r.server_cpu_us_per_request ?? '-',
    r.cpu_cores.redis.toFixed(2),
    r.cpu_cores.load_generator.toFixed(2),
    r.cpu_cores.other_processes.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: Array<string | number>) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : pad(c, widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
