/**
 * The A/B's figures (bench/ab.ts): today/base ratios of each run's medians and of each round's
 * pair, and the no-regression verdict. Pure: records in, rows and text out.
 */
import { median, type RunRecord } from './report.js';

export type Tree = 'base' | 'today';

/** One figure of one run in both trees; `ratio` = today / base. */
export interface RatioRow {
  run: 'decide' | 'decide-304';
  metric: 'req/s' | 'p50 ms' | 'p99 ms' | 'server CPU µs/req' | 'bytes/resp';
  /** true when a larger figure is better (req/s) */
  higher_is_better: boolean;
  base: number;
  today: number;
  /** today's median / base's median */
  ratio: number;
  /** today / base of each round (the two trees measured minutes apart at most), in round order */
  round_ratios: number[];
  /** median of round_ratios: the figure the verdict reads (drift of the machine's load cancels within a round) */
  paired_ratio: number;
  /** interquartile range of round_ratios: how much the pairs disagree (the neighbours' noise) */
  iqr: number;
}

/**
 * The tolerance of "does not regress" (docs/performance.md): today's paired ratio may be at
 * most 5 % worse than base's, in req/s and in server CPU per request, for the 200 and the 304
 * handshake. Latency is reported, not judged: at c=32 in a closed loop p50 follows req/s
 * (Little's law) and p99 follows the neighbours' load.
 */
export const TOLERANCE = 0.05;
/** A figure whose pairs' ratios spread wider than this (interquartile range) decides nothing: rerun on a quiet machine. */
export const MAX_IQR = 2 * TOLERANCE;

/** Quantile by linear interpolation between the closest ranks. */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const METRICS: Array<{ metric: RatioRow['metric']; higher: boolean; of: (r: RunRecord) => number }> = [
  { metric: 'req/s', higher: true, of: (r) => r.req_per_s },
  { metric: 'p50 ms', higher: false, of: (r) => r.latency_ms.p50 },
  { metric: 'p99 ms', higher: false, of: (r) => r.latency_ms.p99 },
  { metric: 'server CPU µs/req', higher: false, of: (r) => r.server_cpu_us_per_request ?? NaN },
  { metric: 'bytes/resp', higher: false, of: (r) => r.response_bytes_avg },
];

/** Rows for `decide` and `decide-304`, from records keyed `base-decide`, `today-decide`, …. */
export function ratioRows(records: ReadonlyMap<string, readonly RunRecord[]>): RatioRow[] {
  const rows: RatioRow[] = [];
  for (const run of ['decide', 'decide-304'] as const) {
    const b = records.get(`base-${run}`) ?? [];
    const t = records.get(`today-${run}`) ?? [];
    if (!b.length || !t.length) continue;
    for (const { metric, higher, of } of METRICS) {
      const base = median(b.map(of));
      const today = median(t.map(of));
      const rounds = t.slice(0, b.length).map((r, i) => r3(of(r) / of(b[i])));
      rows.push({ run, metric, higher_is_better: higher, base: r3(base), today: r3(today), ratio: r3(today / base), round_ratios: rounds, paired_ratio: r3(median(rounds)), iqr: r3(quantile(rounds, 0.75) - quantile(rounds, 0.25)) });
    }
  }
  return rows;
}

export interface Verdict {
  /** regression: a judged figure is worse than TOLERANCE with pairs that agree; inconclusive: no regression shown, but some figure's pairs spread wider than MAX_IQR */
  outcome: 'no regression' | 'regression' | 'inconclusive';
  regression: boolean;
  text: string;
}

/**
 * Reads the req/s and CPU-per-request rows (200 and 304) against TOLERANCE, and says plainly how
 * much slower or faster today is. A figure whose pairs disagree (IQR > MAX_IQR) is reported as
 * noise, not as a verdict.
 */
export function abVerdict(rows: readonly RatioRow[]): Verdict {
  const judged = rows.filter((r) => r.metric === 'req/s' || r.metric === 'server CPU µs/req');
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  // Worse by how much, as a positive fraction: req/s lost, or CPU per request added.
  const worse = (r: RatioRow) => (r.higher_is_better ? 1 - r.paired_ratio : r.paired_ratio - 1);
  const noisy = (r: RatioRow) => !(r.iqr <= MAX_IQR);
  const how = (r: RatioRow) => {
    const w = worse(r);
    const what = r.higher_is_better ? (w > 0 ? `${pct(w)} fewer req/s` : `${pct(-w)} more req/s`) : w > 0 ? `${pct(w)} more server CPU per request` : `${pct(-w)} less server CPU per request`;
    return `${r.run} ${what} (today/base ${r.paired_ratio.toFixed(3)}, pairs ${r.round_ratios.map((x) => x.toFixed(2)).join(' / ')}, IQR ${r.iqr.toFixed(2)}${noisy(r) ? ': noise' : ''})`;
  };
  const bad = judged.filter((r) => worse(r) > TOLERANCE && !noisy(r));
  const unclear = judged.filter(noisy);
  const all = judged.map(how).join('; ');
  if (bad.length) return { outcome: 'regression', regression: true, text: `REGRESSION beyond ${pct(TOLERANCE)}: ${bad.map(how).join('; ')}. All figures: ${all}.` };
  if (unclear.length) return { outcome: 'inconclusive', regression: false, text: `Inconclusive: no regression shown beyond ${pct(TOLERANCE)}, but the pairs disagree (IQR > ${MAX_IQR.toFixed(2)}) on ${unclear.map((r) => `${r.run} ${r.metric}`).join(', ')}; rerun on a quiet machine. All figures: ${all}.` };
  return { outcome: 'no regression', regression: false, text: `No regression (tolerance ${pct(TOLERANCE)}): ${all}.` };
}

/** The ratio table as markdown. */
export function ratiosMarkdown(rows: readonly RatioRow[]): string {
  const out = ['| run | figure | base | today | today / base (medians) | today / base per round | paired (median) | IQR of pairs |', '|---|---|---:|---:|---:|---|---:|---:|'];
  for (const r of rows) out.push(`| ${r.run} | ${r.metric} | ${r.base} | ${r.today} | ${r.ratio.toFixed(3)} | ${r.round_ratios.map((x) => x.toFixed(2)).join(' / ')} | **${r.paired_ratio.toFixed(3)}** | ${r.iqr.toFixed(3)} |`);
  return out.join('\n');
}
