/**
 * The read-your-writes sequence inside one process (REDIS_URL=memory:): the Redis adapter's
 * hash and ZSETs as one SequenceState per project, run by the same pure state machine the Lua
 * mirrors (domain/consistency-watermark.ts). Announcements are delivered asynchronously, as
 * a Redis message is.
 */
import { EventEmitter } from 'node:events';
import { newEpoch, type Watermark } from '../../domain/consistency-token.js';
import type { ConsistencyStore } from '../../ports/consistency-store.js';
import { completeSlot, issueSlot, newSequence, type SequenceState } from '../../domain/consistency-watermark.js';

export interface MemoryConsistencyStore extends ConsistencyStore {
  /** forgets every sequence, as a Redis restart without persistence does (tests) */
  lose(): void;
}

export function createMemoryConsistencyStore(opts: { abandonMs: number; now?: () => number }): MemoryConsistencyStore {
  const now = opts.now ?? Date.now;
  const sequences = new Map<number, SequenceState>();
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const markOf = (s: SequenceState): Watermark => ({ epoch: s.epoch, applied: s.applied, issued: s.issued });

  return {
    async issue(projectId) {
      let s = sequences.get(projectId);
      if (!s) sequences.set(projectId, (s = newSequence(newEpoch())));
      return { epoch: s.epoch, seq: issueSlot(s, now()) };
    },
    async complete(projectId, epoch, seq) {
      const s = sequences.get(projectId);
      if (!s) return null;
      if (epoch !== '' && epoch !== s.epoch) return markOf(s);
      const { moved } = completeSlot(s, seq, now(), opts.abandonMs);
      const mark = markOf(s);
      if (moved) setImmediate(() => bus.emit('applied', projectId, mark));
      return mark;
    },
    async reached(projectId) {
      const s = sequences.get(projectId);
      return s ? markOf(s) : null;
    },
    async subscribe(onApplied) {
      const listener = (projectId: number, mark: Watermark) => onApplied(projectId, mark);
      bus.on('applied', listener);
      return async () => {
        bus.off('applied', listener);
      };
    },
    lose() {
      sequences.clear();
    },
  };
}
