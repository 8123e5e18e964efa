/**
 * One bounded load run with autocannon's programmatic API: a warm-up run whose numbers are
 * thrown away, then the measured run. Every request's latency is recorded with µs precision
 * from autocannon's `response` events (autocannon's own histogram keeps whole ms only).
 */
import autocannon from 'autocannon';

export interface LoadSpec {
  name: string;
  url: string;
  /** headers sent with every request */
  headers: Record<string, string>;
  /** request bodies, rotated across all connections (one per request, in order) */
  bodies: readonly string[];
  /** extra headers for the request that carries bodies[i] (e.g. If-None-Match) */
  headersFor?: (i: number) => Record<string, string>;
  connections: number;
  /**
   * Open loop: total requests per second across all connections (autocannon's `overallRate`),
   * sent on schedule whatever the latency, as long as a connection is free (so keep
   * connections ≥ rate × the worst latency). Absent: closed loop, each connection sends its
   * next request when the answer arrives.
   */
  rate?: number;
  warmupS: number;
  durationS: number;
  /** called per measured response (collecting bodies costs the load generator CPU: use in side runs) */
  onResponse?: (status: number, body: string, headers: Record<string, string | string[]>) => void;
  /** called right before and right after the measured run (not the warm-up), e.g. to read CPU counters */
  around?: { before(): Promise<void> | void; after(): Promise<void> | void };
}

export interface LoadResult {
  name: string;
  connections: number;
  /** the fixed arrival rate of an open-loop run, req/s (absent: closed loop) */
  rate?: number;
  duration_s: number;
  requests: number;
  req_per_s: number;
  latency_ms: { mean: number; p50: number; p90: number; p99: number; p99_9: number; max: number };
  errors: number;
  timeouts: number;
  non_2xx: number;
  status_codes: Record<string, number>;
  /** average bytes per response on the wire (status line, headers and body) */
  response_bytes_avg: number;
  /** responses during the (discarded) warm-up */
  warmup_requests: number;
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function once(spec: LoadSpec, durationS: number, record: boolean) {
  let n = 0;
  const bodies = spec.bodies;
  const setupRequest = (req: Record<string, unknown>) => {
    const i = n++ % bodies.length;
    const headers = spec.headersFor ? { ...spec.headers, ...spec.headersFor(i) } : spec.headers;
    return { ...req, headers, body: bodies[i] };
  };
  const request: Record<string, unknown> = { method: 'POST', setupRequest };
  if (record && spec.onResponse) {
    const cb = spec.onResponse;
    request.onResponse = (status: number, body: string, _ctx: unknown, headers: Record<string, string | string[]>) => cb(status, body, headers);
  }
  let instance!: autocannon.Instance;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: spec.url, connections: spec.connections, duration: durationS, headers: spec.headers, requests: [request as autocannon.Request], timeout: 10,
        ...(spec.rate ? { overallRate: spec.rate } : {}),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let bytes = 0;
  const statusCodes: Record<string, number> = {};
  let seen = 0;
  instance.on('response', (_client: unknown, statusCode: number, resBytes: number, responseTime: number) => {
    seen++;
    if (!record) return;
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[count++] = responseTime;
    bytes += resBytes;
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
  });
  return { done, seen: () => seen, collected: () => ({ latencies: latencies.subarray(0, count), bytes, statusCodes }) };
}

/** Warm-up (discarded), then the measured run. Total ≤ warmupS + durationS + a little. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let warmupRequests = 0;
  if (spec.warmupS > 0) {
    const warm = once(spec, spec.warmupS, false);
    await warm.done;
    warmupRequests = warm.seen();
  }
  await spec.around?.before();
  const run = once(spec, spec.durationS, true);
  const result = await run.done;
  await spec.around?.after();
  const { latencies, bytes, statusCodes } = run.collected();
  const sorted = Float64Array.from(latencies).sort();
  let sum = 0;
  for (const x of sorted) sum += x;
  const requests = sorted.length;
  const non2xx = Object.entries(statusCodes).reduce((acc, [code, k]) => (code.startsWith('2') ? acc : acc + k), 0);
  return {
    name: spec.name,
    connections: spec.connections,
    ...(spec.rate ? { rate: spec.rate } : {}),
    duration_s: round(result.duration, 2),
    requests,
    req_per_s: round(requests / result.duration, 0),
    latency_ms: {
      mean: round(sum / requests),
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      p99_9: round(percentile(sorted, 99.9)),
      max: round(sorted[sorted.length - 1] ?? NaN),
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non_2xx: non2xx,
    status_codes: statusCodes,
    response_bytes_avg: round(bytes / Math.max(1, requests), 0),
    warmup_requests: warmupRequests,
  };
}
