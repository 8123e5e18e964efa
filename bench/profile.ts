/**
 * Summarizes a V8 `.cpuprofile` (written by `node --cpu-prof`): self time per function, self
 * time per area (express, ioredis, core, ...), and inclusive time of the handshake's phases.
 * Usage: `tsx bench/profile.ts <file.cpuprofile> [top] [window function] [requests in the window]`.
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
  if (u.includes('/src/http/routes/decide')) return 'decide route (stringify, sha1 ETag)';
  if (u.includes('/src/services/')) return 'services';
  if (u.includes('/src/adapters/redis/')) return 'handshake reader (Redis adapter)';
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
 * `window`: only samples between the first and the last one whose stack holds a function of
 * this name (e.g. `sendWithEtag`), so start-up and shutdown are left out.
 */
export function summarizeProfile(file: string, top = 25, window?: string, requests?: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, Node>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const label = (n: Node) => n.callFrame.functionName || '(anonymous)';
  const where = (n: Node) => (n.callFrame.url ? `${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '');
  const self = new Map<string, { fn: string; where: string; ms: number }>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const PHASES = new Set(['decideAll', 'decide', 'read', 'sendWithEtag', 'stringify', 'jsonParser', 'parse', 'requireProjectToken', 'rateLimit', 'handle', 'createHash', 'digest']);
  const holds = (id: number, name: string) => {
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) if (byId.get(n)!.callFrame.functionName === name) return true;
    return false;
  };
  let from = 0;
  let to = profile.samples.length - 1;
  if (window) {
    while (from < to && !holds(profile.samples[from], window)) from++;
    while (to > from && !holds(profile.samples[to], window)) to--;
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
  const s = summarizeProfile(file, Number(process.argv[3] ?? 25), process.argv[4], process.argv[5] ? Number(process.argv[5]) : undefined);
  console.log(`total ${s.total_ms} ms, busy ${s.busy_ms} ms`);
  console.table(s.areas);
  console.table(s.top_self);
  console.table(s.inclusive);
}
