/**
 * Summarizes a V8 `.cpuprofile` (written by `node --cpu-prof`): self time per function, self
 * time per area (express, ioredis, core, ...), and inclusive time of the handshake's phases.
 * Usage: `tsx bench/profile.ts <file.cpuprofile> [top] [window: a function name, or fromUs-toUs] [requests in the window]`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** wall time covered by the profile, ms */
  total_ms: number;
  /** requests served in the window, when given: then every entry also has `us_per_request` */
  requests?: number;
  /** ms the thread was busy (not idle) */
  busy_ms: number;
  top_self: Array<{ fn: string; where: string; self_ms: number; busy_pct: number; us_per_request?: number }>;
  areas: Array<{ area: string; self_ms: number; busy_pct: number; us_per_request?: number }>;
  inclusive: Array<{ fn: string; total_ms: number; busy_pct: number; us_per_request?: number }>;
  /** busy µs per request, when requests is given */
  busy_us_per_request?: number;
}

/** Which part of the stack a frame belongs to, from its script URL. */
function areaOf(url: string, fn: string): string {
  if (fn === '(idle)') return '(idle)';
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return '(program: native / unattributed)';
  if (url === '' && /^(writev|writeUtf8String|writeLatin1String|writeBuffer|writeAsciiString|writeUcs2String)$/.test(fn)) return 'socket writes (syscalls)';
  const u = url.replace(/\\/g, '/');
  if (u.startsWith('node:internal/crypto') || u.includes('/crypto/')) return 'crypto (sha1 ETag)';
  if (u.includes('/src/core/')) return 'core (evaluation)';
  if (u.includes('/json-logic-js/')) return 'json-logic-js (evaluation)';
  // Labels by where the code lives now (issue 15): the handshake renders in src/http/edge/.
  if (/\/src\/http\/edge\/(handshake|fragments|etag)\.ts/.test(u)) return 'handshake render (compact form, ETag, fragments, stringify)';
  if (/\/src\/http\/edge\/ofrep/.test(u)) return 'OFREP render (edge/ofrep*.ts)';
  if (u.includes('/src/http/edge/')) return 'edge (auth, CORS, request guard, errors)';
  if (u.includes('/src/http/fast/')) return 'fast path plumbing (node:http, body read, send)';
  if (u.includes('/src/http/')) return 'express app and routes (src/http)';
  if (/\/src\/services\/(decide|decision-input|last-known)/.test(u)) return 'decide service (input, outcome)';
  if (u.includes('/src/services/')) return 'other services';
  if (u.includes('/src/adapters/redis/')) return 'handshake reader (Redis adapter)';
  if (u.includes('/src/metrics')) return 'metrics (prom-client wrappers)';
  if (u.includes('/src/')) return 'other src (app middleware, auth, errors)';
  if (/\/(ioredis|redis-parser|denque|standard-as-callback|cluster-key-slot)\//.test(u)) return 'ioredis';
  if (/\/(body-parser|raw-body|iconv-lite|type-is|content-type|media-typer|bytes)\//.test(u)) return 'body parser';
  if (/\/(express|router|finalhandler|send|encodeurl|path-to-regexp|on-finished|accepts|negotiator|mime-types|fresh|etag|parseurl|qs|depd|statuses|http-errors|content-disposition|cookie|range-parser|proxy-addr|forwarded|vary)\//.test(u)) return 'express';
  if (u.includes('/express-rate-limit/')) return 'express-rate-limit';
  if (u.includes('/zod/')) return 'zod (request validation)';
  if (/\/(pino|pino-std-serializers|sonic-boom|fast-redact|thread-stream)\//.test(u)) return 'pino';
  if (/\/(prom-client|tdigest|bintrees)\//.test(u)) return 'prom-client';
  if (u.includes('/node_modules/')) return `other deps`;
  if (u.startsWith('node:internal/http') || u.startsWith('node:_http') || u.startsWith('node:http')) return 'node http';
  if (u.startsWith('node:')) return 'node (net, streams, events, timers)';
  if (u === '') return 'other native (V8 builtins, bindings)';
  return 'other';
}

/**
 * The window of a profile to summarize: either a function name (samples between the first and
 * the last one whose stack holds it), or absolute times in µs of the monotonic clock
 * (`process.hrtime.bigint() / 1000n` in any process of this machine: V8's profile timestamps
 * use the same clock), e.g. the start and end of the measured load, which is exact whatever
 * code path serves it. A name that the profiled code never calls gives an empty window.
 */
export type ProfileWindow = string | { fromUs: number; toUs: number };

/** Summary of a profile over `window` (all of it when absent); `requests` served in that window. */
export function summarizeProfile(file: string, top = 25, window?: ProfileWindow, requests?: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, Node>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const label = (n: Node) => n.callFrame.functionName || '(anonymous)';
  // TypeScript runs as tsx's transform without source maps in the profile: its line numbers mean nothing, so name the file only.
  const where = (n: Node) => (n.callFrame.url ? (/\.[cm]?tsx?$/.test(n.callFrame.url) ? path.basename(n.callFrame.url) : `${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`) : '');
  const self = new Map<string, { fn: string; where: string; ms: number }>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const PHASES = new Set(['decideAll', 'decide', 'read', 'serveFast', 'answer', 'handshakeResponse', 'compactAll', 'renderedBody', 'send', 'readJson', 'readBody', 'projectOfToken', 'answerOfrep', 'stringify', 'parse', 'createHash', 'digest']);
  const holds = (id: number, name: string) => {
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) if (byId.get(n)!.callFrame.functionName === name) return true;
    return false;
  };
  let from = 0;
  let to = profile.samples.length - 1;
  if (typeof window === 'string') {
    while (from < to && !holds(profile.samples[from], window)) from++;
    while (to > from && !holds(profile.samples[to], window)) to--;
  } else if (window) {
    // timeDeltas[i] is the time of sample i since sample i-1 (the first since startTime).
    let t = profile.startTime;
    from = -1;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] ?? 0;
      if (from < 0 && t >= window.fromUs) from = i;
      if (t <= window.toUs) to = i;
    }
    if (from < 0 || to < from) throw new Error(`profile ${file} has no sample between ${window.fromUs} and ${window.toUs} µs (it runs ${profile.startTime}-${profile.endTime})`);
  }
  let total = 0;
  let idle = 0;
  for (let i = from + 1; i <= to; i++) {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    total += ms;
    const fn = label(node);
    if (fn === '(idle)') idle += ms;
    const key = `${fn}@${where(node)}`;
    const entry = self.get(key) ?? { fn, where: where(node), ms: 0 };
    entry.ms += ms;
    self.set(key, entry);
    const area = areaOf(node.callFrame.url, fn);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    // Inclusive time of a few named phases: each counted once per stack.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      const name = label(n);
      const k = `${name} (${path.basename(n.callFrame.url) || 'builtin'})`;
      if (PHASES.has(name) && !seen.has(k)) {
        seen.add(k);
        inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
      }
    }
  }
  const busy = total - idle;
  const pct = (ms: number) => Math.round((1000 * ms) / busy) / 10;
  const r = (ms: number) => Math.round(ms);
  const per = (ms: number) => (requests ? { us_per_request: Math.round((ms * 10_000) / requests) / 10 } : {});
  return {
    total_ms: r(total),
    busy_ms: r(busy),
    ...(requests ? { requests, busy_us_per_request: Math.round((busy * 1000) / requests) } : {}),
    top_self: [...self.values()]
      .filter((e) => e.fn !== '(idle)')
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((e) => ({ fn: e.fn, where: e.where, self_ms: r(e.ms), busy_pct: pct(e.ms), ...per(e.ms) })),
    areas: [...areas.entries()]
      .filter(([a]) => a !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([area, ms]) => ({ area, self_ms: r(ms), busy_pct: pct(ms), ...per(ms) })),
    inclusive: [...inclusive.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([fn, ms]) => ({ fn, total_ms: r(ms), busy_pct: pct(ms), ...per(ms) })),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx bench/profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const w = process.argv[4];
  const range = w ? /^(\d+)-(\d+)$/.exec(w) : null;
  const s = summarizeProfile(file, Number(process.argv[3] ?? 25), range ? { fromUs: Number(range[1]), toUs: Number(range[2]) } : w, process.argv[5] ? Number(process.argv[5]) : undefined);
  console.log(`total ${s.total_ms} ms, busy ${s.busy_ms} ms`);
  console.table(s.areas);
  console.table(s.top_self);
  console.table(s.inclusive);
}
