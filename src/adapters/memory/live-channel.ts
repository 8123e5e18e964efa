/**
 * The live channel and cohort diffs in process memory (REDIS_URL=memory:): one process, so a
 * publish reaches this process's subscribers synchronously-late (on the next microtask), as
 * Redis pub/sub delivers to every subscribed process; diffs read the in-process versions.
 */
import type { CohortDiffReader, LiveChannel, LiveMessage } from '../../ports/live-channel.js';
import { peekCohort, type MemoryState } from './state.js';

export function createMemoryLiveChannel(): LiveChannel {
  const subscribers = new Set<(m: LiveMessage) => void>();
  return {
    async publish(message) {
      // A copy, as a message crossing Redis would be.
      const copy = JSON.parse(JSON.stringify(message)) as LiveMessage;
      queueMicrotask(() => {
        for (const on of subscribers) on(copy);
      });
    },
    async subscribe(on) {
      subscribers.add(on);
      return async () => void subscribers.delete(on);
    },
  };
}

export function createMemoryCohortDiffReader(state: MemoryState): CohortDiffReader {
  return {
    async diff(projectId, cohortId, from, to, cap) {
      const c = peekCohort(state, projectId, cohortId);
      const now = c?.sets.get(to) ?? new Set<string>();
      const before = from > 0 ? (c?.sets.get(from) ?? new Set<string>()) : new Set<string>();
      const entered = [...now].filter((m) => !before.has(m));
      const left = [...before].filter((m) => !now.has(m));
      return { entered: entered.slice(0, cap), left: left.slice(0, cap), truncated: entered.length > cap || left.length > cap, enteredCount: entered.length, leftCount: left.length };
    },
    async *chunks(projectId, cohortId, from, to) {
      const d = await this.diff(projectId, cohortId, from, to, Number.MAX_SAFE_INTEGER);
      if (d.entered.length || d.left.length) yield { entered: d.entered, left: d.left };
    },
  };
}
