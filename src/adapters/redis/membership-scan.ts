/**
 * The whole live member set of a cohort, read chunk by chunk (membership-read.ts), for
 * `rules plan --impact` (as-code/impact.ts), which checks a million persons against a few
 * cohorts in memory. The pointer and the set are read one after the other: a refresh that
 * switches versions in between leaves the old set readable until the refresher drops it
 * (the answer is then the version just replaced, which is what decisions read a moment ago).
 */
import type { Keys } from './keys.js';
import type { RedisClient } from './client.js';
import { readVersionMembers } from './membership-read.js';

export function createMembershipScan(deps: { redis: RedisClient; keys: Keys }) {
  const { redis, keys } = deps;
  return {
    /** The live version's members (person ids as decimal strings, `d:<distinct_id>`), or null when never materialized. */
    async liveMembers(projectId: number, cohortId: number): Promise<{ version: number; members: Set<string> } | null> {
      const v = await redis.get(keys.cohortCurrent(projectId, cohortId));
      if (v === null) return null;
      const members = new Set(await readVersionMembers(redis, keys, projectId, cohortId, Number(v)));
      return { version: Number(v), members };
    },
  };
}
