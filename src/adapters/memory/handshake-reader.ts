/**
 * The handshake's one read in process memory (REDIS_URL=memory:), as the Redis script
 * (adapters/redis/handshake-reader.ts) folds it into one call: identity (distinct_id, else
 * anon_id) and the person document, membership of that person id or `d:<id>` of distinct_id
 * and anon_id in each cohort's live version (`missing` lists cohorts with none), survey
 * response counters, and the project's `decide` rate counter when `countRate`. It runs
 * without yielding, so it sees one state, as the Lua script does. It never times out: the
 * memory is always there (no degraded mode in this mode, docs/embedded.md).
 */
import type { HandshakeRead, HandshakeReader } from '../../ports/handshake-reader.js';
import { decodeDoc, lookupIds } from './identity-cache.js';
import { peekCohort, rateHit, rateKey, type MemoryState } from './state.js';

const NONE: readonly number[] = Object.freeze([]);

export function createMemoryHandshakeReader(state: MemoryState): HandshakeReader {
  return {
    async read(projectId, distinctId, anonId, cohortIds, surveyKeys, countRate = false): Promise<HandshakeRead> {
      const rateCount = countRate ? rateHit(state, rateKey('decide', projectId)) : 0;
      const m = state.identity.get(projectId);
      const { pid, usedAnon } = lookupIds(m, distinctId, anonId);
      const doc = pid === undefined ? undefined : m?.docs.get(pid);
      const probe: string[] = [];
      if (pid !== undefined) probe.push(String(pid));
      probe.push(`d:${distinctId}`);
      if (anonId) probe.push(`d:${anonId}`);
      const members = new Array<boolean>(cohortIds.length);
      let missing: number[] | null = null;
      for (let i = 0; i < cohortIds.length; i++) {
        const c = peekCohort(state, projectId, cohortIds[i]);
        if (!c || c.live === null) {
          members[i] = false;
          (missing ??= []).push(i);
          continue;
        }
        const set = c.sets.get(c.live);
        members[i] = set !== undefined && probe.some((p) => set.has(p));
      }
      return {
        personId: pid ?? null,
        person: doc ? decodeDoc(doc.json) : null,
        identityReady: m?.ready === true,
        usedAnon,
        members,
        missing: missing ?? NONE,
        responses: surveyKeys.map((k) => m?.surveys.get(k) ?? 0),
        rateCount,
      };
    },
  };
}
