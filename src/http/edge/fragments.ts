/**
 * JSON fragments rendered once per snapshot (docs/performance.md): within one snapshot, a
 * decision's JSON is fixed by its compact form (key, definition version, variant, reason, rule,
 * error code, the states of the cohorts it read; see handshake.ts#compact), so the fragment
 * rendered for the first person who gets a decision is reused for every later one. The cache
 * lives as long as its snapshot object (a WeakMap), so a new snapshot never sees old JSON.
 */
import type { ProjectSnapshot } from '../../services/snapshots.js';

/** Most fragments kept per snapshot; past it, new ones are rendered each time. */
const MAX_FRAGMENTS = 20_000;
const caches = new WeakMap<ProjectSnapshot, Map<string, string>>();

/** The fragment cache of a snapshot (created on first use). */
export function fragmentsOf(snapshot: ProjectSnapshot): Map<string, string> {
  let cache = caches.get(snapshot);
  if (!cache) caches.set(snapshot, (cache = new Map()));
  return cache;
}

/** The fragment stored under `id`, else `render()` stored (while the cache has room). */
export function cachedFragment(cache: Map<string, string>, id: string, render: () => string): string {
  let f = cache.get(id);
  if (f === undefined) {
    f = render();
    if (cache.size < MAX_FRAGMENTS) cache.set(id, f);
  }
  return f;
}
