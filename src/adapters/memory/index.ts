/**
 * The in-process adapters of every Redis-backed port (REDIS_URL=memory:, docs/embedded.md),
 * over one shared state: one process only (no replicas, no separate worker).
 */
import { createMemoryDefinitionsNotifier } from './definitions-notifier.js';
import { createMemoryExposureMarks } from './exposure-marks.js';
import { createMemoryHandshakeReader } from './handshake-reader.js';
import { createMemoryIdentityCache } from './identity-cache.js';
import { createMemoryCohortDiffReader, createMemoryLiveChannel } from './live-channel.js';
import { createMemoryMembershipStore } from './membership-store.js';
import { createMemoryRateLimiter } from './rate-limiter.js';
import { createMemoryState, type MemoryState } from './state.js';

export function createMemoryAdapters(state: MemoryState = createMemoryState()) {
  return {
    state,
    membership: createMemoryMembershipStore(state),
    identityCache: createMemoryIdentityCache(state),
    handshakeReader: createMemoryHandshakeReader(state),
    rateLimiter: createMemoryRateLimiter(state),
    exposureMarks: createMemoryExposureMarks(state),
    notifier: createMemoryDefinitionsNotifier(state),
    live: createMemoryLiveChannel(),
    cohortDiff: createMemoryCohortDiffReader(state),
  };
}

export type MemoryAdapters = ReturnType<typeof createMemoryAdapters>;
export { createMemoryState, type MemoryState };
