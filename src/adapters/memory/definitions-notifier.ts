/**
 * Definition-change notices inside one process (REDIS_URL=memory:): the pub/sub of
 * adapters/redis/definitions-notifier.ts over an EventEmitter. Delivery is asynchronous
 * (after the notifying call returns), as a Redis message is; only subscribers of this
 * process hear it, which is all there is in this mode.
 */
import type { DefinitionsNotifier } from '../../ports/definitions-notifier.js';
import type { MemoryState } from './state.js';

export function createMemoryDefinitionsNotifier(state: MemoryState): DefinitionsNotifier {
  return {
    async notify(projectId) {
      setImmediate(() => state.bus.emit('project', projectId));
    },
    async subscribe(onProject) {
      const listener = (id: number) => onProject(id);
      state.bus.on('project', listener);
      return async () => {
        state.bus.off('project', listener);
      };
    },
  };
}
