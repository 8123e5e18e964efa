import type { FeedListener } from '../ports/feed-listener.js';

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
    personsErased: (p, erased) => call('personsErased', p, erased),
  };
}
