/**
 * What two trees answer to the same handshakes (bench/ab.ts): the sizes of their bodies, how
 * many decisions of each kind they hold, whether the decisions agree (value, variant, reason
 * per key), and which differences in shape remain once time encodings are set aside. Pure: the
 * bodies come in, a summary goes out.
 */

/** One tree's sampled handshake answers: the raw body text per sampled distinct_id, in order. */
export interface TreeAnswers {
  bodies: string[];
}

export interface BodyStats {
  persons: number;
  bytes: { mean: number; min: number; max: number };
  /** mean body bytes once every ISO-8601 timestamp string is written as unix ms (the base tree's freshness encoding) */
  bytes_times_as_ms_mean: number;
  decisions: { flags: number; configs: number; surveys: number };
  /** decisions answered with reason ERROR, summed over the sample */
  error_decisions: number;
  /** `as_of` fields per body: as a number (unix ms) and as an ISO string */
  as_of: { ms: number; iso: number };
}

export interface BodyComparison {
  base: BodyStats;
  today: BodyStats;
  /** persons whose every decision (key, value, variant, reason) is the same in both trees */
  same_decisions: number;
  /** up to 10 keys whose decisions differ, with how many persons differ on each */
  differing_keys: Array<{ key: string; persons: number }>;
  /** JSON paths (array indices as []) whose value or presence differs besides times, with how many persons: up to 10 */
  shape_differences: Array<{ path: string; persons: number }>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const KINDS = ['flags', 'configs', 'surveys'] as const;

/** The body with every ISO timestamp string turned into unix ms. */
function timesAsMs(x: Json): Json {
  if (typeof x === 'string') return ISO.test(x) ? Date.parse(x) : x;
  if (Array.isArray(x)) return x.map(timesAsMs);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, timesAsMs(v)]));
  return x;
}

/** key -> "value|variant|reason" of each decision of a handshake body, kinds prefixed. */
function decisionsOf(body: Record<string, Json>): Map<string, string> {
  const out = new Map<string, string>();
  for (const kind of KINDS) {
    const group = body[kind];
    // A kind is an object keyed by decision key (flags, configs) or a list (eligible surveys).
    const entries: Array<[string, Json]> = Array.isArray(group) ? group.map((d, i) => [String((d as Record<string, Json>)?.key ?? i), d]) : Object.entries((group ?? {}) as Record<string, Json>);
    for (const [key, d] of entries) {
      const o = (d ?? {}) as Record<string, Json>;
      out.set(`${kind}.${key}`, JSON.stringify([o.value ?? null, o.variant ?? null, o.reason ?? null]));
    }
  }
  return out;
}

function count(body: Record<string, Json>, kind: (typeof KINDS)[number]): number {
  const g = body[kind];
  return Array.isArray(g) ? g.length : Object.keys((g ?? {}) as object).length;
}

function asOf(x: Json, acc: { ms: number; iso: number }): void {
  if (Array.isArray(x)) for (const v of x) asOf(v, acc);
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === 'as_of' && typeof v === 'number') acc.ms++;
      else if (k === 'as_of' && typeof v === 'string') acc.iso++;
      else asOf(v, acc);
    }
  }
}

function stats(bodies: string[], parsed: Array<Record<string, Json>>): BodyStats {
  const sizes = bodies.map((b) => Buffer.byteLength(b));
  const asMs = parsed.map((p) => Buffer.byteLength(JSON.stringify(timesAsMs(p))));
  const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
  const times = { ms: 0, iso: 0 };
  asOf(parsed[0] ?? {}, times);
  let errors = 0;
  for (const p of parsed) for (const v of decisionsOf(p).values()) if (JSON.parse(v)[2] === 'ERROR') errors++;
  return {
    persons: bodies.length,
    bytes: { mean: mean(sizes), min: Math.min(...sizes), max: Math.max(...sizes) },
    bytes_times_as_ms_mean: mean(asMs),
    decisions: { flags: count(parsed[0] ?? {}, 'flags'), configs: count(parsed[0] ?? {}, 'configs'), surveys: count(parsed[0] ?? {}, 'surveys') },
    error_decisions: errors,
    as_of: times,
  };
}

/** Paths where two bodies differ once times are unix ms (values of `generated_at` and `as_of` ignored). */
function differences(a: Json, b: Json, path: string, out: Set<string>): void {
  const key = path.split('.').pop()!;
  if (key === 'generated_at' || key === 'as_of') return;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.add(`${path} (length)`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) differences(a[i], b[i], `${path}[]`, out);
  } else if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in a)) out.add(`${path}.${k} (today only)`);
      else if (!(k in b)) out.add(`${path}.${k} (base only)`);
      else differences(a[k], b[k], `${path}.${k}`, out);
    }
  } else if (JSON.stringify(a) !== JSON.stringify(b)) out.add(path);
}

const top = (m: Map<string, number>) => [...m].sort((x, y) => y[1] - x[1]).slice(0, 10);

/** Compares the two trees' answers for the same persons (same order). Throws if a body is not JSON. */
export function compareBodies(base: TreeAnswers, today: TreeAnswers): BodyComparison {
  const pb = base.bodies.map((b) => JSON.parse(b) as Record<string, Json>);
  const pt = today.bodies.map((b) => JSON.parse(b) as Record<string, Json>);
  let same = 0;
  const keys = new Map<string, number>();
  const shapes = new Map<string, number>();
  for (let i = 0; i < Math.min(pb.length, pt.length); i++) {
    const db = decisionsOf(pb[i]);
    const dt = decisionsOf(pt[i]);
    let all = true;
    for (const k of new Set([...db.keys(), ...dt.keys()])) {
      if (db.get(k) !== dt.get(k)) {
        all = false;
        keys.set(k, (keys.get(k) ?? 0) + 1);
      }
    }
    if (all) same++;
    const diff = new Set<string>();
    differences(timesAsMs(pb[i]), timesAsMs(pt[i]), '', diff);
    for (const d of diff) shapes.set(d, (shapes.get(d) ?? 0) + 1);
  }
  return {
    base: stats(base.bodies, pb),
    today: stats(today.bodies, pt),
    same_decisions: same,
    differing_keys: top(keys).map(([key, persons]) => ({ key, persons })),
    shape_differences: top(shapes).map(([path, persons]) => ({ path, persons })),
  };
}
