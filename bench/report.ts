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
  /** the measured part on the monotonic clock, µs (a --cpu-prof profile's window) */
  window_us?: { fromUs: number; toUs: number };
}

/** Median of numbers (the middle one, or the mean of the two middle ones). */
export function median(xs: readonly number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One row of the summary: the median over the interleaved rounds of each figure, separately. */
export interface SummaryRow {
  name: string;
  target: string;
  rounds: number;
  /** open loop: the fixed arrival rate (absent: closed loop) */
  rate?: number;
  connections: number;
  req_per_s: number;
  req_per_s_rounds: number[];
  p50_ms: number;
  p99_ms: number;
  p99_9_ms: number;
  server_cpu_us_per_request: number | null;
  response_bytes_avg: number;
  /** summed over the rounds */
  errors: number;
  non_2xx: number;
  status_codes: Record<string, number>;
  other_processes_cores: number;
  redis_evalsha_us_per_call?: number;
}

export function summarize(records: readonly RunRecord[]): SummaryRow {
  const r0 = records[0];
  const m = (f: (r: RunRecord) => number) => Math.round(median(records.map(f)) * 1000) / 1000;
  const status: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r.status_codes)) status[k] = (status[k] ?? 0) + v;
  const lua = records.filter((r) => r.redis_evalsha_us_per_call !== undefined);
  return {
    name: r0.name,
    target: r0.target,
    rounds: records.length,
    ...(r0.rate ? { rate: r0.rate } : {}),
    connections: r0.connections,
    req_per_s: Math.round(median(records.map((r) => r.req_per_s))),
    req_per_s_rounds: records.map((r) => r.req_per_s),
    p50_ms: m((r) => r.latency_ms.p50),
    p99_ms: m((r) => r.latency_ms.p99),
    p99_9_ms: m((r) => r.latency_ms.p99_9),
    server_cpu_us_per_request: r0.server_cpu_us_per_request === null ? null : Math.round(median(records.map((r) => r.server_cpu_us_per_request ?? NaN))),
    response_bytes_avg: Math.round(median(records.map((r) => r.response_bytes_avg))),
    errors: records.reduce((a, r) => a + r.errors + r.timeouts, 0),
    non_2xx: records.reduce((a, r) => a + r.non_2xx, 0),
    status_codes: status,
    other_processes_cores: m((r) => r.cpu_cores.other_processes),
    ...(lua.length ? { redis_evalsha_us_per_call: m((r) => r.redis_evalsha_us_per_call ?? NaN) } : {}),
  };
}

export interface TargetResult {
  target: string;
  result: string;
  pass: boolean | null;
}

const num = (x: number) => x.toLocaleString('en-US');

/** The summary as a markdown table (docs/performance.md's format). */
export function summaryMarkdown(rows: readonly SummaryRow[]): string {
  const out = ['| run | load | req/s (median; rounds) | p50 ms | p99 ms | p99.9 ms | server CPU µs/req | bytes/resp | errors, non-2xx |', '|---|---|---:|---:|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    const load = r.rate ? `open loop ${num(r.rate)}/s` : `closed c=${r.connections}`;
    out.push(`| ${r.target} | ${load} | **${num(r.req_per_s)}** (${r.req_per_s_rounds.map(num).join(' / ')}) | ${r.p50_ms.toFixed(2)} | ${r.p99_ms.toFixed(2)} | ${r.p99_9_ms.toFixed(2)} | ${r.server_cpu_us_per_request ?? '–'} | ${num(r.response_bytes_avg)} | ${r.errors}, ${r.non_2xx}${r.non_2xx ? ` (${Object.entries(r.status_codes).map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''} |`);
  }
  return out.join('\n');
}

export function targetsMarkdown(targets: readonly TargetResult[]): string {
  const out = ['| target | result | |', '|---|---|---|'];
  for (const t of targets) out.push(`| ${t.target} | ${t.result} | **${t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'MISS'}** |`);
  return out.join('\n');
}

/** Prints the summary rows and the targets on the console. */
export function printSummary(rows: readonly SummaryRow[], targets: readonly TargetResult[]): void {
  const head = ['run', 'load', 'req/s', 'rounds', 'p50 ms', 'p99 ms', 'p99.9 ms', 'server µs/req', 'bytes/resp', 'err', 'non-2xx'];
  const cells = rows.map((r) => [r.name, r.rate ? `open ${r.rate}/s` : `closed c=${r.connections}`, r.req_per_s, r.req_per_s_rounds.join('/'), r.p50_ms.toFixed(2), r.p99_ms.toFixed(2), r.p99_9_ms.toFixed(2), r.server_cpu_us_per_request ?? '-', r.response_bytes_avg, r.errors, r.non_2xx]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (c: Array<string | number>) => c.map((x, i) => (i < 2 ? String(x).padEnd(widths[i]) : pad(x, widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
  console.log('');
  const tw = Math.max(...targets.map((t) => t.target.length));
  for (const t of targets) console.log(`${(t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'MISS').padEnd(4)}  ${t.target.padEnd(tw)}  ${t.result}`);
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
