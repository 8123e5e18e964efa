/**
 * The state the in-process adapters share (REDIS_URL=memory:, docs/embedded.md): what the
 * Redis adapters keep in one Redis, kept here in one process's memory. One `MemoryState` per
 * composed process, shared by the membership store, identity cache, handshake reader, rate
 * limiter, exposure marks and definitions notifier, as the Redis adapters share one server
 * (the handshake reader reads identity, membership, survey counters and the rate counter the
 * others write). Nothing survives a restart: the refresher re-materializes cohorts and the
 * identity map is rebuilt from PostgreSQL, as after a Redis restart without persistence.
 */
import { EventEmitter } from 'node:events';

/** One cohort's materialization: the live pointer and the version sets that exist. */
export interface CohortSets {
  /** the live version (null: never materialized, or dropped) */
  live: number | null;
  /** version -> members; an empty set is never kept (an empty Redis SET does not exist) */
  sets: Map<number, Set<string>>;
}

/** One project's identity map. */
export interface IdentityMap {
  ready: boolean;
  /** distinct_id -> person id */
  ids: Map<string, number>;
  /** person id -> document: version (µs) and the record as JSON text (decoded per read, as from Redis) */
  docs: Map<number, { version: number; json: string }>;
  /** survey key -> responses */
  surveys: Map<string, number>;
}

export interface MemoryState {
  cohorts: Map<string, CohortSets>;
  identity: Map<number, IdentityMap>;
  /** rate counter key -> count and the window's end (ms since epoch) */
  rate: Map<string, { count: number; until: number }>;
  /** exposure mark key -> expiry (ms since epoch) */
  exposures: Map<string, number>;
  /** definition-change notices (event `project`, argument the project id) */
  bus: EventEmitter;
  /** ms since epoch; Date.now unless a test passes its own clock */
  now: () => number;
}

export function createMemoryState(opts: { now?: () => number } = {}): MemoryState {
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  return { cohorts: new Map(), identity: new Map(), rate: new Map(), exposures: new Map(), bus, now: opts.now ?? Date.now };
}

export function cohortOf(state: MemoryState, projectId: number, cohortId: number): CohortSets {
  const k = `${projectId}:${cohortId}`;
  let c = state.cohorts.get(k);
  if (!c) state.cohorts.set(k, (c = { live: null, sets: new Map() }));
  return c;
}

/** The cohort's entry if it exists, without creating one (reads). */
export function peekCohort(state: MemoryState, projectId: number, cohortId: number): CohortSets | undefined {
  return state.cohorts.get(`${projectId}:${cohortId}`);
}

export function identityOf(state: MemoryState, projectId: number): IdentityMap {
  let m = state.identity.get(projectId);
  if (!m) state.identity.set(projectId, (m = { ready: false, ids: new Map(), docs: new Map(), surveys: new Map() }));
  return m;
}

/** The rate key of a scope and subject, as keys.rateCounter names it in Redis. */
export const rateKey = (scope: 'decide' | 'ingest' | 'admin', subject: number) => `${scope}:${subject}`;

/**
 * Counts one request in the window of `key`: a window opens at its first request and lasts
 * `ttlMs` (Redis: INCR, PEXPIRE on the first hit, rate-lua.ts). Returns the window's count.
 */
export function rateHit(state: MemoryState, key: string, ttlMs = 1_000): number {
  const now = state.now();
  const w = state.rate.get(key);
  if (!w || w.until <= now) {
    state.rate.set(key, { count: 1, until: now + ttlMs });
    if (state.rate.size > 10_000) for (const [k, v] of state.rate) if (v.until <= now) state.rate.delete(k);
    return 1;
  }
  return ++w.count;
}
