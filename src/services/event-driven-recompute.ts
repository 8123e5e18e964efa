import type { Logger } from 'pino';
import type { FeedListener } from '../ports/feed-listener.js';
import type { IdentityChange } from '../domain/person.js';
import { EVENT_DRIVEN_TIERS, type Tier } from '../domain/project.js';

export interface EventDrivenRecomputeDeps {
  /** re-evaluates these persons in every active dynamic cohort of the project (services/recompute-persons.ts) */
  recomputePersons: (projectId: number, personIds: number[]) => Promise<unknown>;
  /** the project's tier, null when it does not exist */
  tierOf: (projectId: number) => Promise<Tier | null>;
  logger: Logger;
  /** called with how many persons were recomputed, dropped (queue full) or failed */
  onPersons?: (outcome: 'recomputed' | 'dropped' | 'failed', n: number) => void;
  /** ms between a change and its recompute; changes in this window are batched (default 250) */
  flushMs?: number;
  /** most persons waiting across projects; beyond it changes are dropped and left to the scheduled refresh (default 10,000) */
  maxQueued?: number;
  /** persons per recomputePersons call (default 500) */
  batchSize?: number;
  /** ms a project's tier is remembered (default 30 s) */
  tierTtlMs?: number;
}


/**
 * The enterprise tier's event-driven recompute: a FeedListener that collects the persons
 * whose events or properties changed, per project, and re-evaluates them in the project's
 * dynamic cohorts every `flushMs`. It never blocks the ingest request (it only enqueues),
 * and its queue is bounded: what it drops the scheduled refresh (30 s) still catches.
 */
export function createEventDrivenRecompute(deps: EventDrivenRecomputeDeps) {
  const flushMs = deps.flushMs ?? 250;
  const maxQueued = deps.maxQueued ?? 10_000;
  const batchSize = deps.batchSize ?? 500;
  const tierTtlMs = deps.tierTtlMs ?? 30_000;
  const log = deps.logger.child({ component: 'event-driven-recompute' });
  const report = deps.onPersons ?? (() => {});

  const queue = new Map<number, Set<number>>();
  let queued = 0;
  const tiers = new Map<number, { tier: Tier | null; at: number }>();
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;
  let stopped = false;
  // Read-your-writes (settled): the queue being filled is generation `filling`; each drain takes
  // one generation. Projects whose persons were dropped or failed, per generation.
  let filling = 0;
  let drained = -1;
  const unclean = new Map<number, Set<number>>();
  const settledWaiters: Array<{ gen: number; projectId: number; resolve: (clean: boolean) => void }> = [];
  const markUnclean = (gen: number, projectId: number) => {
    let set = unclean.get(gen);
    if (!set) unclean.set(gen, (set = new Set()));
    set.add(projectId);
  };
  function settle(upTo: number): void {
    drained = upTo;
    for (let i = settledWaiters.length - 1; i >= 0; i--) {
      const w = settledWaiters[i];
      if (w.gen > upTo) continue;
      settledWaiters.splice(i, 1);
      w.resolve(!unclean.get(w.gen)?.has(w.projectId));
    }
    for (const gen of unclean.keys()) if (gen <= upTo && !settledWaiters.some((w) => w.gen === gen)) unclean.delete(gen);
  }

  async function tierOf(projectId: number): Promise<Tier | null> {
    const hit = tiers.get(projectId);
    if (hit && Date.now() - hit.at < tierTtlMs) return hit.tier;
    const tier = await deps.tierOf(projectId);
    tiers.set(projectId, { tier, at: Date.now() });
    return tier;
  }

  function enqueue(projectId: number, personIds: number[]): void {
    // A project known not to be event-driven costs nothing (and never fills the queue).
    const hit = tiers.get(projectId);
    if (hit && Date.now() - hit.at < tierTtlMs && !(hit.tier && EVENT_DRIVEN_TIERS.includes(hit.tier))) return;
    let set = queue.get(projectId);
    if (!set) queue.set(projectId, (set = new Set()));
    let dropped = 0;
    for (const id of personIds) {
      if (set.has(id)) continue;
      if (queued >= maxQueued) {
        dropped++;
        continue;
      }
      set.add(id);
      queued++;
    }
    if (dropped) {
      markUnclean(filling, projectId);
      report('dropped', dropped);
      log.warn({ project: projectId, dropped }, 'event-driven queue full; the scheduled refresh will catch these persons');
    }
    if (!timer && !stopped && queued > 0) timer = setTimeout(() => void flush(), flushMs);
  }

  async function drain(): Promise<void> {
    const batches = [...queue.entries()];
    const gen = filling++;
    queue.clear();
    queued = 0;
    try {
      await drainBatches(gen, batches);
    } finally {
      settle(gen);
    }
  }

  async function drainBatches(gen: number, batches: Array<[number, Set<number>]>): Promise<void> {
    for (const [projectId, set] of batches) {
      const tier = await tierOf(projectId).catch(() => null);
      if (!tier || !EVENT_DRIVEN_TIERS.includes(tier)) continue;
      const ids = [...set];
      for (let i = 0; i < ids.length; i += batchSize) {
        const chunk = ids.slice(i, i + batchSize);
        try {
          const outcome = await deps.recomputePersons(projectId, chunk);
          if ((outcome as { failedCohorts?: number } | undefined)?.failedCohorts) markUnclean(gen, projectId);
          report('recomputed', chunk.length);
        } catch (err) {
          markUnclean(gen, projectId);
          report('failed', chunk.length);
          log.warn({ err, project: projectId, persons: chunk.length }, 'event-driven recompute failed; the scheduled refresh will catch up');
        }
      }
    }
  }

  /** Recomputes everything queued now; never runs twice at once. */
  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    if (flushing) return flushing;
    flushing = drain().finally(() => {
      flushing = null;
      if (queued > 0 && !timer && !stopped) timer = setTimeout(() => void flush(), flushMs);
    });
    return flushing;
  }

  const personIdsOf = (changes: IdentityChange[]) => changes.map((c) => c.personId);

  const listener: FeedListener = {
    async personsChanged(projectId, personIds) {
      enqueue(projectId, personIds);
    },
    // A merge or a new distinct_id can bring events (behavioural filters) to a person.
    async identitiesChanged(projectId, changes) {
      enqueue(projectId, personIdsOf(changes));
    },
    // Erased or merged-away persons no longer match anything: the recompute removes them.
    async personsRemoved(projectId, personIds) {
      enqueue(projectId, personIds);
    },
  };

  /**
   * Read-your-writes: resolves once every person enqueued for `projectId` before this call
   * has been recomputed: true when cleanly, false when some of the project's persons were
   * dropped (queue full) or a recompute failed meanwhile. Resolves true at once when nothing
   * is queued or running. Call it after the feed call whose listeners enqueued the persons.
   */
  function settled(projectId: number): Promise<boolean> {
    // Persons enqueued before now are in the queue being filled, or in the drain under way.
    const gen = queued > 0 ? filling : flushing ? filling - 1 : -1;
    if (gen <= drained) return Promise.resolve(!unclean.get(gen)?.has(projectId));
    return new Promise((resolve) => settledWaiters.push({ gen, projectId, resolve }));
  }

  return {
    listener,
    flush,
    settled,
    /** persons waiting, for tests and metrics */
    pending: () => queued,
    start(): void {
      stopped = false;
    },
    /** Stops the timer and recomputes what is still queued (the pool is still open). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await flushing;
      await flush().catch(() => {});
    },
  };
}

export type EventDrivenRecompute = ReturnType<typeof createEventDrivenRecompute>;
