import type { CohortDiffReader, LiveChannel, LiveMessage } from '../../ports/live-channel.js';
import { createRedis, waitForRedis, type RedisClient } from './client.js';
import type { Keys } from './keys.js';
import { diffVersions } from './membership-diff.js';
import { diffChunks } from './membership-diff.js';

/**
 * Live changes over Redis pub/sub on `<prefix>live` (JSON messages). `publisher` gives an
 * existing command connection (asked for on the first publish, so a process that never
 * publishes opens none); each subscription opens its own connection.
 */
export function createLiveChannel(deps: { publisher: () => RedisClient; url: string; keys: Keys }): LiveChannel {
  const channel = `${deps.keys.prefix}live`;
  return {
    async publish(m) {
      await deps.publisher().publish(channel, JSON.stringify(m));
    },
    async subscribe(on) {
      const sub = createRedis({ url: deps.url });
      await waitForRedis(sub, 3_000);
      await sub.subscribe(channel);
      sub.on('message', (_c: string, text: string) => {
        try {
          const m = JSON.parse(text) as LiveMessage;
          if (m && Number.isSafeInteger(m.projectId)) on(m);
        } catch {
          // not ours
        }
      });
      return async () => sub.disconnect();
    },
  };
}

/** Cohort version diffs, chunk by chunk (membership-store.ts diffVersions; one version's keys share a slot). */
export function createCohortDiffReader(deps: { redis: RedisClient; keys: Keys }): CohortDiffReader {
  return {
    async diff(projectId, cohortId, from, to, cap) {
      const { entered, left } = await diffVersions(deps.redis, deps.keys, projectId, cohortId, from, to);
      return {
        entered: entered.slice(0, cap),
        left: left.slice(0, cap),
        truncated: entered.length > cap || left.length > cap,
        enteredCount: entered.length,
        leftCount: left.length,
      };
    },
    chunks: (projectId, cohortId, from, to) => diffChunks(deps.redis, deps.keys, projectId, cohortId, from, to),
  };
}
