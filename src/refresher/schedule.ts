/**
 * When a cohort refreshes (PRODUCT.md 6.3), as pure arithmetic: tier intervals, the fixed
 * phase of each cohort inside its interval, the next slot, failure backoff and the order
 * in which dependent cohorts run. No clock inside: callers pass `now` (unix ms).
 */
import { TIER_INTERVAL_S, type Tier } from '../domain/project.js';

export { TIER_INTERVAL_S };

/** Longest backoff after repeated failures, in ms (unless the interval itself is longer). */
export const MAX_BACKOFF_MS = 3_600_000;

/**
 * The interval (s) a cohort actually uses: its own `refresh_interval_s` when slower than
 * its tier's, else the tier's. A cohort may ask for slower, never faster.
 */
export function effectiveInterval(tier: Tier, refreshIntervalS: number | null | undefined): number {
  const floor = TIER_INTERVAL_S[tier] ?? TIER_INTERVAL_S.pro;
  return refreshIntervalS && refreshIntervalS > floor ? Math.floor(refreshIntervalS) : floor;
}

// 2^32 / golden ratio (Knuth's multiplicative constant, "Fibonacci hashing").
const GOLDEN = 0x9e3779b9;

/**
 * A fraction in [0, 1) derived from an id by Fibonacci hashing: frac(id × 2^32/φ) on the
 * low 32 bits, with the high bits mixed in. Consecutive ids form a Weyl sequence, which
 * the three-distance theorem keeps spread almost perfectly evenly (far better than a
 * random-looking hash such as MurmurHash3, whose buckets would vary by ±√n).
 */
export function idFraction(id: number): number {
  const lo = id >>> 0;
  const hi = Math.floor(id / 2 ** 32) >>> 0;
  const h = (Math.imul(lo, GOLDEN) + Math.imul(hi, 0x85ebca6b)) >>> 0;
  return h / 2 ** 32;
}

/**
 * The cohort's fixed phase inside an interval, in seconds (ms resolution), in
 * [0, intervalS). It depends only on the id, so every worker computes the same one and
 * a project's cohorts spread over the window instead of firing on one tick.
 */
export function phaseOf(cohortId: number, intervalS: number): number {
  return Math.floor(idFraction(cohortId) * intervalS * 1000) / 1000;
}

/**
 * The next instant t > nowMs (unix ms) with t ≡ phase (mod interval), counting from the
 * unix epoch, so the slot is the same wall-clock offset in every interval.
 */
export function nextRunAt(nowMs: number, intervalS: number, phaseS: number): number {
  const intervalMs = Math.round(intervalS * 1000);
  const phaseMs = ((Math.round(phaseS * 1000) % intervalMs) + intervalMs) % intervalMs;
  return (Math.floor((nowMs - phaseMs) / intervalMs) + 1) * intervalMs + phaseMs;
}

/** The next scheduled slot (unix ms) of a cohort: interval from the tier, phase from the id. */
export function nextSlot(nowMs: number, cohort: { id: number; tier: Tier; refreshIntervalS: number | null }): number {
  const intervalS = effectiveInterval(cohort.tier, cohort.refreshIntervalS);
  return nextRunAt(nowMs, intervalS, phaseOf(cohort.id, intervalS));
}

/**
 * How long (ms) to wait before retrying after `errorsCalculating` consecutive failures:
 * interval × 2^(n-1), capped at max(1 h, interval), plus up to 10 % jitter derived from
 * the cohort id and n (not Math.random, so schedules are reproducible), so cohorts that
 * failed together do not retry together. 0 when n ≤ 0.
 */
export function backoffMs(errorsCalculating: number, intervalS: number, cohortId = 0): number {
  if (errorsCalculating <= 0) return 0;
  const cap = Math.max(MAX_BACKOFF_MS, intervalS * 1000);
  const base = Math.min(intervalS * 1000 * 2 ** Math.min(errorsCalculating - 1, 30), cap);
  const jitter = idFraction(cohortId * 64 + errorsCalculating) * 0.1;
  return Math.round(base * (1 + jitter));
}

/** A cohort with the keys of the cohorts its definition references. */
export interface DependencyNode {
  id: number;
  key: string;
  refs: readonly string[];
}

/**
 * Orders cohorts so that each comes after the cohorts it references (Kahn's algorithm,
 * ties in input order). References outside the list are ignored; a cycle (refused when a
 * definition is saved, so only from direct SQL) keeps its members in input order at the end.
 */
export function dependencyOrder<T extends DependencyNode>(nodes: readonly T[]): T[] {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const pending = new Map<T, number>();
  const dependents = new Map<T, T[]>();
  for (const n of nodes) {
    const deps = new Set(n.refs.map((k) => byKey.get(k)).filter((d): d is T => !!d && d !== n));
    pending.set(n, deps.size);
    for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), n]);
  }
  const out: T[] = [];
  const ready = nodes.filter((n) => pending.get(n) === 0);
  while (ready.length) {
    const n = ready.shift()!;
    out.push(n);
    for (const m of dependents.get(n) ?? []) {
      const left = pending.get(m)! - 1;
      pending.set(m, left);
      if (left === 0) ready.push(m);
    }
  }
  if (out.length < nodes.length) out.push(...nodes.filter((n) => !out.includes(n)));
  return out;
}
