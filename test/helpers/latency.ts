/** Latency summaries for fault and soak measurements (values in ms). */

/** The p-th percentile (0-100) by nearest rank; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** count, p50, p99, max, rounded to 0.1 ms. */
export function summarize(values: readonly number[]): { count: number; p50_ms: number; p99_ms: number; max_ms: number } {
  const r = (x: number) => (Number.isNaN(x) ? Number.NaN : Math.round(x * 10) / 10);
  return { count: values.length, p50_ms: r(percentile(values, 50)), p99_ms: r(percentile(values, 99)), max_ms: r(values.length ? Math.max(...values) : Number.NaN) };
}
