/**
 * Admin reads of membership history (docs/history.md): a cohort's change feed and a person's
 * intervals, by cohort key.
 */
import { notFound } from '../errors.js';
import type { CohortStore } from '../ports/cohort-store.js';
import type { MembershipChange, MembershipHistoryStore, MembershipInterval } from '../ports/membership-history.js';

export interface HistoryReadDeps {
  store: Pick<MembershipHistoryStore, 'changes' | 'ofPerson'>;
  cohorts: Pick<CohortStore, 'byKey' | 'refs'>;
}

/** A person's interval with its cohort's key. */
export type KeyedInterval = MembershipInterval & { cohortKey: string };

export function createHistoryRead(deps: HistoryReadDeps) {
  return {
    /** A cohort's entered/left feed in [since, until) (unix ms), oldest first; 404 for an unknown key. */
    async changes(projectId: number, key: string, q: { since: number; until: number; after: { at: number; id: number; kind: 'entered' | 'left' } | null; limit: number }): Promise<MembershipChange[]> {
      const c = await deps.cohorts.byKey(projectId, key);
      if (!c) throw notFound(`cohort ${key} not found`);
      return deps.store.changes(projectId, c.id, q);
    },

    /** Every recorded interval of a person (newest first), with cohort keys. */
    async ofPerson(projectId: number, personId: number | null, distinctIds: readonly string[]): Promise<KeyedInterval[]> {
      const intervals = await deps.store.ofPerson(projectId, personId, distinctIds);
      if (intervals.length === 0) return [];
      const keyOf = new Map([...(await deps.cohorts.refs(projectId))].map(([k, r]) => [r.id, k]));
      return intervals.flatMap((i) => {
        const cohortKey = keyOf.get(i.cohortId);
        return cohortKey === undefined ? [] : [{ ...i, cohortKey }];
      });
    },
  };
}

export type HistoryRead = ReturnType<typeof createHistoryRead>;
