import type { PersonDoc, PersonRecord } from '../../src/domain/person.js';
import type { IdentityCache, IdentityCacheWrite, IdentityLookup } from '../../src/ports/identity-cache.js';

/** One project's identity map: what Redis holds under its `{p<id>}` keys. */
interface ProjectMap {
  ready: boolean;
  ids: Map<string, number>;
  docs: Map<number, PersonDoc>;
  responses: Map<string, number>;
}

/**
 * The identity map in memory, with the semantics of adapters/redis/identity-cache.ts and
 * identity-lua.ts: a lookup takes distinct_id's person, else anon_id's (when it differs);
 * a document never replaces a newer version (an equal one does); `newIds` are set only if
 * absent, `setIds` always; survey increments add, counts replace.
 *
 * Inspection: `writes` (every batch in order, as passed), `peek` (the lookup plus the
 * mapped person id, which Redis returns even when the document is missing), `doc`,
 * `personIdOf`, `responses`, `isReady`, `markReady`. `failWrites(err)` /
 * `failLookups(err)` make later calls reject, as an unreachable Redis does (null: heal).
 */
export function createFakeIdentityCache() {
  const projects = new Map<number, ProjectMap>();
  const writes: Array<{ projectId: number; write: IdentityCacheWrite }> = [];
  let writeFailure: Error | null = null;
  let lookupFailure: Error | null = null;
  const map = (projectId: number): ProjectMap => {
    let m = projects.get(projectId);
    if (!m) projects.set(projectId, (m = { ready: false, ids: new Map(), docs: new Map(), responses: new Map() }));
    return m;
  };
  const record = (d: PersonDoc): PersonRecord => ({
    id: d.id, bucketingKey: d.bucketingKey, properties: JSON.parse(d.propertiesJson), identified: d.identified,
    surveyHistory: { answered: [...d.surveyHistory.answered], lastShownAt: d.surveyHistory.lastShownAt },
  });

  function peek(projectId: number, distinctId: string, anonId?: string | null): IdentityLookup & { personId: number | null } {
    const m = map(projectId);
    let pid = m.ids.get(distinctId);
    let usedAnon = false;
    if (pid === undefined && anonId && anonId !== distinctId) {
      pid = m.ids.get(anonId);
      usedAnon = pid !== undefined;
    }
    const d = pid === undefined ? undefined : m.docs.get(pid);
    return { ready: m.ready, person: d ? record(d) : null, usedAnon, personId: pid ?? null };
  }

  const cache: IdentityCache & {
    writes: typeof writes;
    peek: typeof peek;
    doc(projectId: number, personId: number): PersonDoc | undefined;
    personIdOf(projectId: number, distinctId: string): number | undefined;
    responses(projectId: number, surveyKey: string): number;
    isReady(projectId: number): boolean;
    markReady(projectId: number): void;
    failWrites(err: Error | null): void;
    failLookups(err: Error | null): void;
  } = {
    async lookup(projectId, distinctId, anonId) {
      if (lookupFailure) throw lookupFailure;
      const { personId: _pid, ...answer } = peek(projectId, distinctId, anonId);
      return answer;
    },

    async write(projectId, w) {
      writes.push({ projectId, write: w });
      if (writeFailure) throw writeFailure;
      const m = map(projectId);
      for (const d of w.docs ?? []) {
        const cur = m.docs.get(d.id);
        if (!cur || cur.version <= d.version) m.docs.set(d.id, structuredClone(d));
      }
      for (const [d, pid] of w.newIds ?? []) if (!m.ids.has(d)) m.ids.set(d, pid);
      for (const [d, pid] of w.setIds ?? []) m.ids.set(d, pid);
      for (const d of w.removedIds ?? []) m.ids.delete(d);
      for (const id of w.removedPersons ?? []) m.docs.delete(id);
      for (const [k, n] of w.surveyIncrements ?? []) m.responses.set(k, (m.responses.get(k) ?? 0) + n);
      for (const [k, n] of w.surveyCounts ?? []) m.responses.set(k, n);
      if (w.ready) m.ready = true;
    },

    async clearReady(projectId) {
      if (writeFailure) throw writeFailure;
      map(projectId).ready = false;
    },

    writes,
    peek,
    doc: (projectId, personId) => map(projectId).docs.get(personId),
    personIdOf: (projectId, distinctId) => map(projectId).ids.get(distinctId),
    responses: (projectId, surveyKey) => map(projectId).responses.get(surveyKey) ?? 0,
    isReady: (projectId) => map(projectId).ready,
    markReady: (projectId) => void (map(projectId).ready = true),
    failWrites: (err) => void (writeFailure = err),
    failLookups: (err) => void (lookupFailure = err),
  };
  return cache;
}

export type FakeIdentityCache = ReturnType<typeof createFakeIdentityCache>;
