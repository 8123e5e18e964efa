/**
 * JSON fragments rendered once per snapshot (docs/performance.md): within one snapshot, a
 * decision's JSON is fixed by its compact form (key, definition version, variant, reason, rule,
 * error code, the states of the cohorts it read; see handshake.ts#compact), so the fragment
 * rendered for the first person who gets a decision is reused for every later one. The caches
 * live as long as their snapshot object (a WeakMap), so a new snapshot never sees old JSON.
 */
import type { ProjectSnapshot } from '../../services/snapshots.js';

/** Most fragments kept per map; past it, new ones are rendered each time. */
export const MAX_FRAGMENTS = 20_000;

/** One map per kind of fragment, keyed by the decision's compact form. */
export interface Fragments {
  /** `"key":{…}` of a flag decision in the handshake */
  flags: Map<string, string>;
  /** `"key":{…}` of a config decision in the handshake */
  configs: Map<string, string>;
  /** a survey offer in the handshake */
  surveys: Map<string, string>;
  /** one OFREP evaluation (flag or config) */
  ofrep: Map<string, string>;
  /** per-snapshot blocks rendered once (e.g. OFREP's bulk metadata) */
  blocks: Map<string, string>;
}

const caches = new WeakMap<ProjectSnapshot, Fragments>();

/** The fragment caches of a snapshot (created on first use). */
export function fragmentsOf(snapshot: ProjectSnapshot): Fragments {
  let f = caches.get(snapshot);
  if (!f) caches.set(snapshot, (f = { flags: new Map(), configs: new Map(), surveys: new Map(), ofrep: new Map(), blocks: new Map() }));
  return f;
}

/** Stores `fragment` under `id` while the map has room; returns it. */
export function keep(map: Map<string, string>, id: string, fragment: string): string {
  if (map.size < MAX_FRAGMENTS) map.set(id, fragment);
  return fragment;
}
