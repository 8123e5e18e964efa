import type { IdentityChange } from '../../src/domain/person.js';
import type { FeedListener } from '../../src/ports/feed-listener.js';

/** One notification as a listener received it. */
export type FeedCall =
  | { method: 'identitiesChanged'; projectId: number; changes: IdentityChange[] }
  | { method: 'personsChanged'; projectId: number; personIds: number[] }
  | { method: 'personsRemoved'; projectId: number; personIds: number[] }
  | { method: 'personsErased'; projectId: number; erased: IdentityChange[] };

/**
 * A feed listener that records every call in order (`calls`; `take()` returns and clears
 * them). Typed `Required<FeedListener>`, as the feeds take it after fan-out. `fail` makes
 * every later call reject (to show the feeds' callers are not told).
 */
export function createFakeFeedListener() {
  const calls: FeedCall[] = [];
  let failure: Error | null = null;
  const record = async (c: FeedCall) => {
    calls.push(c);
    if (failure) throw failure;
  };
  const listener: Required<FeedListener> & { calls: FeedCall[]; take(): FeedCall[]; fail(err: Error | null): void } = {
    calls,
    take: () => calls.splice(0),
    fail: (err) => void (failure = err),
    identitiesChanged: (projectId, changes) => record({ method: 'identitiesChanged', projectId, changes }),
    personsChanged: (projectId, personIds) => record({ method: 'personsChanged', projectId, personIds }),
    personsRemoved: (projectId, personIds) => record({ method: 'personsRemoved', projectId, personIds }),
    personsErased: (projectId, erased) => record({ method: 'personsErased', projectId, erased }),
  };
  return listener;
}

export type FakeFeedListener = ReturnType<typeof createFakeFeedListener>;
