import type { DefinitionsNotifier } from '../../ports/definitions-notifier.js';
import { createRedis, waitForRedis, type RedisClient } from './client.js';
import type { Keys } from './keys.js';

/**
 * Definition-change notices over Redis pub/sub (`keys.definitionsChannel()`, the message is
 * the project id). `publisher` is an existing command connection; each subscription opens its
 * own connection (a subscribed connection cannot send commands).
 */
export function createDefinitionsNotifier(deps: { publisher: RedisClient; url: string; keys: Keys }): DefinitionsNotifier {
  const channel = deps.keys.definitionsChannel();
  return {
    async notify(projectId) {
      await deps.publisher.publish(channel, String(projectId));
    },
    async subscribe(onProject) {
      const sub = createRedis({ url: deps.url });
      await waitForRedis(sub, 3_000);
      await sub.subscribe(channel);
      sub.on('message', (_channel: string, message: string) => {
        const id = Number(message);
        if (Number.isSafeInteger(id)) onProject(id);
      });
      return async () => sub.disconnect();
    },
  };
}
