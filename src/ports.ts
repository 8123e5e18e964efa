/**
 * The small interfaces services depend on across feature boundaries. Implementations
 * live in services/ or adapters/; the composition root wires them.
 */

/** One person's identity change: the person and every distinct_id it now holds. */
export interface IdentityChange {
  personId: number;
  distinctIds: string[];
}

/**
 * Told by the feeds (ingest, engage, alias) after their changes are committed.
 * Listeners are best-effort: a failing listener is logged and never fails the write.
 * Used by static-cohort membership (ids that appear or move through an alias) and by the
 * enterprise tier's event-driven cohort recompute.
 */
export interface FeedListener {
  /** persons created, or distinct_ids attached to a person (first sight, alias, merge) */
  identitiesChanged?(projectId: number, changes: IdentityChange[]): Promise<void>;
  /** events stored for, or properties changed on, these persons */
  personsChanged?(projectId: number, personIds: number[]): Promise<void>;
  /** persons that no longer exist: erased by `$delete` or merged into another person */
  personsRemoved?(projectId: number, personIds: number[]): Promise<void>;
}

/** Fans one notification out to several listeners, isolating their failures. */
export function fanOut(listeners: FeedListener[], onError: (err: unknown) => void): Required<FeedListener> {
  const call = async <K extends keyof FeedListener>(name: K, ...args: Parameters<Required<FeedListener>[K]>) => {
    for (const l of listeners) {
      const fn = l[name] as ((...a: unknown[]) => Promise<void>) | undefined;
      if (!fn) continue;
      try {
        await fn.apply(l, args);
      } catch (err) {
        onError(err);
      }
    }
  };
  return {
    identitiesChanged: (p, c) => call('identitiesChanged', p, c),
    personsChanged: (p, ids) => call('personsChanged', p, ids),
    personsRemoved: (p, ids) => call('personsRemoved', p, ids),
  };
}
