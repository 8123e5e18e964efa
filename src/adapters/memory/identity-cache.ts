/**
 * The identity map in process memory (REDIS_URL=memory:), with the semantics of
 * adapters/redis/identity-cache.ts and identity-lua.ts: distinct_id, else anon_id, to the
 * person document; versioned documents (an older one never replaces a newer one); `newIds`
 * set only when absent; the project's "ready" flag. Documents are kept as JSON text and
 * decoded on every read, so a caller never shares (or mutates) the stored copy, as with Redis.
 */
import type { PersonDoc, PersonRecord } from '../../domain/person.js';
import type { IdentityCache, IdentityLookup } from '../../ports/identity-cache.js';
import { identityOf, type IdentityMap, type MemoryState } from './state.js';

function encode(doc: PersonDoc): string {
  const s = JSON.stringify({ answered: doc.surveyHistory.answered, lastShownAt: doc.surveyHistory.lastShownAt });
  return `{"id":${doc.id},"bucketingKey":${JSON.stringify(doc.bucketingKey)},"properties":${doc.propertiesJson},"identified":${doc.identified},"surveyHistory":${s}}`;
}

export const decodeDoc = (json: string): PersonRecord => JSON.parse(json) as PersonRecord;

/** distinct_id, else anon_id (when given and different) -> person id; as IDENTITY_LOOKUP_FRAGMENT. */
export function lookupIds(m: IdentityMap | undefined, distinctId: string, anonId: string | null | undefined): { pid: number | undefined; usedAnon: boolean } {
  let pid = m?.ids.get(distinctId);
  let usedAnon = false;
  if (pid === undefined && anonId && anonId !== distinctId) {
    pid = m?.ids.get(anonId);
    usedAnon = pid !== undefined;
  }
  return { pid, usedAnon };
}

export function createMemoryIdentityCache(state: MemoryState): IdentityCache {
  return {
    async lookup(projectId, distinctId, anonId): Promise<IdentityLookup> {
      const m = state.identity.get(projectId);
      const { pid, usedAnon } = lookupIds(m, distinctId, anonId);
      const doc = pid === undefined ? undefined : m?.docs.get(pid);
      return { ready: m?.ready === true, person: doc ? decodeDoc(doc.json) : null, usedAnon: usedAnon };
    },
    async write(projectId, w) {
      const m = identityOf(state, projectId);
      for (const d of w.docs ?? []) {
        const cur = m.docs.get(d.id);
        if (cur && cur.version > d.version) continue;
        m.docs.set(d.id, { version: d.version, json: encode(d) });
      }
      for (const [d, pid] of w.newIds ?? []) if (!m.ids.has(d)) m.ids.set(d, pid);
      for (const [d, pid] of w.setIds ?? []) m.ids.set(d, pid);
      for (const d of w.removedIds ?? []) m.ids.delete(d);
      for (const id of w.removedPersons ?? []) m.docs.delete(id);
      for (const [k, n] of w.surveyIncrements ?? []) m.surveys.set(k, (m.surveys.get(k) ?? 0) + n);
      for (const [k, n] of w.surveyCounts ?? []) m.surveys.set(k, n);
      if (w.ready) m.ready = true;
    },
    async clearReady(projectId) {
      const m = state.identity.get(projectId);
      if (m) m.ready = false;
    },
  };
}
