/**
 * Runs fuzz cases against a real server and judges every answer: no 5xx, no dropped or reset
 * connection, and every 4xx in the route's error shape. Failures are grouped into classes
 * (status, route, the server's own error message from its log) with the first request of
 * each, printed so it replays: `FUZZ_SEED=<seed> FUZZ_ONLY=<index> npx vitest run <file>`.
 */
import fc from 'fast-check';
import type { HttpClient, RawAnswer, RawRequest } from '../helpers/http-client.js';
import type { LogLine } from '../helpers/log-capture.js';
import { describeBody, materialize } from './bodies.js';
import type { FuzzCase } from './cases.js';

export interface FuzzOptions {
  /** printed with the seed */
  name: string;
  /** default seed of this suite; FUZZ_SEED overrides */
  seed: number;
  /** cases to run; FUZZ_RUNS overrides */
  runs: number;
  /** requests in flight (default 8) */
  concurrency?: number;
}

/** One cause of failure: its kind, status and the server's error, over every route it hit. */
export interface FailureClass {
  key: string;
  count: number;
  /** route -> how many of its cases failed this way */
  routes: Record<string, number>;
  /** the smallest failing request of the class */
  first: { index: number; c: FuzzCase; status: number | string; body: string; serverError: string; size: number };
}

export interface FuzzReport {
  seed: number;
  sent: number;
  ms: number;
  statuses: Record<string, number>;
  failures: FailureClass[];
}

/** Seed and run count for a suite, from the environment when given. */
export function fuzzSettings(defaults: { seed: number; runs: number }) {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : defaults.seed;
  const runs = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : defaults.runs;
  const only = process.env.FUZZ_ONLY ? new Set(process.env.FUZZ_ONLY.split(',').map(Number)) : null;
  return { seed, runs, only };
}

const OFREP_CODES = new Set(['PARSE_ERROR', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'GENERAL', 'FLAG_NOT_FOUND']);

/** Why an answer breaks the contract, or null when it keeps it. */
export function verdict(c: FuzzCase, a: RawAnswer): { kind: 'dropped' | '5xx' | 'shape'; detail: string } | null {
  if (!a.ok) return { kind: 'dropped', detail: a.code ?? a.error };
  if (a.status >= 500) return { kind: '5xx', detail: String(a.status) };
  if (a.status < 400 || c.method === 'HEAD' || c.shape === 'console') return null;
  let body: unknown;
  try {
    body = JSON.parse(a.body.toString('utf8'));
  } catch {
    return { kind: 'shape', detail: `${a.status} body is not JSON` };
  }
  const o = body as Record<string, any> | null;
  const ofrep = !!o && typeof o.errorDetails === 'string' && (!(a.status === 400 || a.status === 404) || OFREP_CODES.has(o.errorCode));
  const ours = !!o && typeof o.error === 'object' && o.error !== null && typeof o.error.code === 'string' && typeof o.error.message === 'string';
  if (c.shape === 'ofrep' && !ofrep) return { kind: 'shape', detail: `${a.status} not an OFREP error body (errorCode, errorDetails)` };
  if (c.shape === 'api' && !ours) return { kind: 'shape', detail: `${a.status} body is not { error: { code, message } }` };
  if (c.shape === 'ofrep-any' && !(o && typeof o.errorDetails === 'string')) return { kind: 'shape', detail: `${a.status} not an OFREP error body (errorDetails)` };
  if (c.shape === 'either' && !ours && !ofrep) return { kind: 'shape', detail: `${a.status} neither our nor OFREP's error body` };
  return null;
}

/** Digits and quoted parts out, so one failure cause is one class. */
const normalize = (s: string) => s.replace(/"[^"]*"|'[^']*'/g, '"…"').replace(/\d+/g, 'N').slice(0, 140);

function serverErrorOf(lines: LogLine[], requestIds: string[]): string {
  const mine = lines.filter((l) => requestIds.includes(l.req_id as string) && l.level >= 50);
  const pick = mine.length ? mine : lines.filter((l) => l.req_id === undefined && l.level >= 50).slice(-1);
  const err = pick[0]?.err as { type?: string; message?: string } | undefined;
  return err ? `${err.type ?? 'Error'}: ${err.message ?? ''}` : pick[0]?.msg ?? '(nothing logged)';
}

/** The request of a case as bytes on the wire. */
export function toRequest(c: FuzzCase, index: number): RawRequest {
  const headers = { 'X-Request-Id': `fz-${index}`, ...c.headers };
  return { method: c.method, path: c.path, headers, body: c.body ? materialize(c.body).bytes : undefined };
}

const sizeOf = (r: RawRequest) => r.path.length + (r.body?.length ?? 0) + Object.values(r.headers).reduce((n, v) => n + v.length + 20, 0);

/** A replayable description of one request (curl for small bodies). */
export function describeCase(c: FuzzCase, index: number, baseUrl: string): string {
  const req = toRequest(c, index);
  const h = Object.entries(req.headers).map(([k, v]) => `-H ${JSON.stringify(`${k}: ${v.length > 200 ? `${v.slice(0, 60)}…(${v.length} chars)` : v}`)}`).join(' ');
  const body = req.body && req.body.length <= 2_000 ? ` --data-binary "$(echo ${req.body.toString('base64')} | base64 -d)"` : req.body ? ` # body ${req.body.length} bytes: ${describeBody(c.body)}` : '';
  const path = c.path.length > 300 ? `${c.path.slice(0, 200)}…(${c.path.length} chars)` : c.path;
  return `#${index} ${c.method} ${path}\n    curl -sS -X ${c.method} ${JSON.stringify(baseUrl + path)} ${h}${body}`;
}

/**
 * Generates `runs` cases from `arb` with the seed (deterministic), sends them `concurrency`
 * at a time and judges each answer.
 */
export async function runFuzz(
  opts: FuzzOptions,
  arb: fc.Arbitrary<FuzzCase>,
  deps: { client: HttpClient; logs: { lines: LogLine[] }; baseUrl: string },
): Promise<FuzzReport> {
  const { seed, runs, only } = fuzzSettings(opts);
  const generating = performance.now();
  const cases = fc.sample(arb, { seed, numRuns: runs });
  const generatedMs = Math.round(performance.now() - generating);
  const indices = only ? [...only].filter((i) => i < cases.length) : cases.map((_, i) => i);
  console.log(`fuzz ${opts.name}: seed=${seed} cases=${indices.length} generated in ${generatedMs} ms (replay one: FUZZ_SEED=${seed} FUZZ_ONLY=<index>)`);
  const started = performance.now();
  const statuses: Record<string, number> = {};
  const classes = new Map<string, FailureClass>();
  const byRoute = new Map<string, { n: number; ms: number }>();
  let next = 0;
  const worker = async () => {
    while (next < indices.length) {
      const index = indices[next++];
      const c = cases[index];
      const req = toRequest(c, index);
      const a = await deps.client.request(req);
      const status = a.ok ? a.status : `dropped:${a.code}`;
      const r = byRoute.get(c.route) ?? { n: 0, ms: 0 };
      byRoute.set(c.route, { n: r.n + 1, ms: r.ms + a.ms });
      statuses[status] = (statuses[status] ?? 0) + 1;
      const v = verdict(c, a);
      if (!v) continue;
      // the server echoes the request id it logged under (a client's own one, or a new UUID);
      // non-ASCII ids go out as UTF-8 and come back read as latin1
      const echoed = a.ok ? String(a.headers['x-request-id'] ?? '') : '';
      const serverError = v.kind === '5xx' ? serverErrorOf(deps.logs.lines, [echoed, Buffer.from(echoed, 'latin1').toString('utf8')]) : '';
      const key = `${v.kind} ${v.detail}${serverError ? ` :: ${normalize(serverError)}` : v.kind === 'shape' && c.shape === 'ofrep' ? ' (OFREP route)' : ''}`;
      const example = { index, c, status, body: a.ok ? a.body.toString('utf8').slice(0, 300) : a.error, serverError, size: sizeOf(req) };
      const known = classes.get(key) ?? { key, count: 0, routes: {}, first: example };
      // the smallest request of a class is the one worth reading
      if (example.size < known.first.size) known.first = example;
      known.count++;
      known.routes[c.route] = (known.routes[c.route] ?? 0) + 1;
      classes.set(key, known);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  const ms = Math.round(performance.now() - started);
  const failures = [...classes.values()].sort((a, b) => b.count - a.count);
  console.log(`fuzz ${opts.name}: ${indices.length} requests in ${ms} ms (${Math.round((indices.length / ms) * 1000)}/s); statuses ${JSON.stringify(statuses)}; ${failures.length} failure classes`);
  const slowest = [...byRoute].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6).map(([route, r]) => `${route} ${r.n}× ${Math.round(r.ms / r.n)} ms`);
  console.log(`fuzz ${opts.name}: most time (requests, mean latency): ${slowest.join('; ')}`);
  if (failures.length) {
    const routes = (f: FailureClass) => Object.entries(f.routes).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} (${n})`).join(', ');
    const lines = failures.map((f) => `  [${f.count}×] ${f.key}\n    routes: ${routes(f)}\n    first answer: ${f.first.status} ${f.first.body.slice(0, 160)}\n    ${describeCase(f.first.c, f.first.index, deps.baseUrl)}`);
    console.log(`fuzz ${opts.name}: failure classes (seed ${seed}):\n${lines.join('\n')}`);
  }
  return { seed, sent: indices.length, ms, statuses, failures };
}

/** One line per class, for the assertion message. */
export const failureSummary = (r: FuzzReport) => r.failures.map((f) => `[${f.count}×] ${f.key} on ${Object.keys(f.routes).length} routes (first: #${f.first.index} ${f.first.c.route})`).join('\n');
