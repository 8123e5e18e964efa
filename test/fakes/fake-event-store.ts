import type { EventCount, EventStore, EventToStore } from '../../src/ports/event-store.js';

/** An event as the fake holds it: what was stored, with its properties parsed. */
export interface FakeStoredEvent {
  projectId: number;
  event: string;
  distinctId: string;
  /** unix ms */
  time: number;
  insertId: string;
  properties: Record<string, unknown>;
}

/**
 * Events in memory, like adapters/postgres/event-store.ts: stored once per
 * `(project, insert id)`, a repeated id is skipped and left out of the returned set.
 * Inspection: `all(projectId)`, and `surveyHistory` for the fake person store's documents.
 */
export function createFakeEventStore() {
  const rows: FakeStoredEvent[] = [];
  const ids = new Set<string>();
  const idKey = (projectId: number, insertId: string) => `${projectId}\u0000${insertId}`;
  const of = (projectId: number, distinctIds?: readonly string[]) => {
    const dids = distinctIds ? new Set(distinctIds) : null;
    return rows.filter((r) => r.projectId === projectId && (!dids || dids.has(r.distinctId)));
  };

  const store: EventStore & {
    all(projectId: number): FakeStoredEvent[];
    surveyHistory(projectId: number, distinctIds: readonly string[]): { answered: string[]; lastShownAt: number | null };
  } = {
    async insert(_db, projectId, events: readonly EventToStore[]) {
      const stored = new Set<string>();
      // the real statement inserts in insert_id order; the outcome does not depend on it
      for (const e of [...events].sort((a, b) => (a.insertId < b.insertId ? -1 : a.insertId > b.insertId ? 1 : 0))) {
        const k = idKey(projectId, e.insertId);
        if (ids.has(k)) continue;
        ids.add(k);
        stored.add(e.insertId);
        rows.push({ projectId, event: e.event, distinctId: e.distinctId, time: e.time, insertId: e.insertId, properties: JSON.parse(e.propertiesJson) });
      }
      return stored;
    },

    async deleteForDistinctIds(_db, projectId, distinctIds) {
      const doomed = new Set(of(projectId, distinctIds));
      for (let i = rows.length - 1; i >= 0; i--) {
        if (doomed.has(rows[i])) {
          ids.delete(idKey(projectId, rows[i].insertId));
          rows.splice(i, 1);
        }
      }
      return doomed.size;
    },

    async countsByName(_db, projectId, distinctIds, limit): Promise<EventCount[]> {
      const n = new Map<string, number>();
      for (const r of of(projectId, distinctIds)) n.set(r.event, (n.get(r.event) ?? 0) + 1);
      return [...n].map(([event, count]) => ({ event, count }))
        .sort((a, b) => b.count - a.count || (a.event < b.event ? -1 : 1))
        .slice(0, limit);
    },

    async timeOf(_db, projectId, insertId) {
      return rows.find((r) => r.projectId === projectId && r.insertId === insertId)?.time ?? null;
    },

    async surveyResponseCounts(_db, projectId) {
      const out = new Map<string, number>();
      for (const r of of(projectId)) {
        const key = r.properties.$survey_key;
        if (r.event === 'survey sent' && typeof key === 'string') out.set(key, (out.get(key) ?? 0) + 1);
      }
      return out;
    },

    all: (projectId) => of(projectId).map((r) => ({ ...r })),

    /** As adapters/postgres/person-docs.ts computes it: answered keys (sorted) and the last `survey shown`. */
    surveyHistory(projectId, distinctIds) {
      const answered = new Set<string>();
      let lastShownAt: number | null = null;
      for (const r of of(projectId, distinctIds)) {
        if (typeof r.properties.$survey_key !== 'string') continue;
        if (r.event === 'survey sent') answered.add(r.properties.$survey_key);
        if (r.event === 'survey shown') lastShownAt = Math.max(lastShownAt ?? r.time, r.time);
      }
      return { answered: [...answered].sort(), lastShownAt };
    },
  };
  return store;
}

export type FakeEventStore = ReturnType<typeof createFakeEventStore>;
