/**
 * Membership outside the refresh: the cohorts of one person (admin person view) and the
 * FeedListener that makes static membership follow identity: a listed distinct_id that
 * shows up, or moves to another person through an alias, brings its person into the
 * cohort's live version at once; removed persons leave every cohort.
 */
import type { FeedListener } from '../ports/feed-listener.js';
import type { IdentityChange } from '../domain/person.js';
import type { CohortStore } from '../ports/cohort-store.js';
import type { StaticMemberStore } from '../ports/static-member-store.js';
import type { MembershipStore } from '../ports/membership-store.js';
import type { CohortKind, CohortState } from '../domain/cohort.js';

/** One cohort a person is in, with its freshness. `as_of` is ISO (null: never computed). */
export interface PersonCohort {
  key: string;
  name: string;
  kind: CohortKind;
  state: CohortState;
  /** the materialized version the answer was read from */
  version: number;
  as_of: string | null;
}

export interface CohortMembershipDeps {
  cohorts: CohortStore;
  staticMembers: StaticMemberStore;
  membership: MembershipStore;
}

export function createCohortMembership(deps: CohortMembershipDeps) {
  const { cohorts, staticMembers, membership } = deps;

  /**
   * The non-archived cohorts `personId` (or, for static ids not seen yet, one of
   * `distinctIds`) belongs to, read from Redis in one round trip.
   */
  async function cohortsOfPerson(projectId: number, personId: number | null, distinctIds: string[]): Promise<PersonCohort[]> {
    const live = await cohorts.live(projectId);
    const answers = await membership.membership(projectId, live.map((c) => c.id), { personId, distinctIds });
    const out: PersonCohort[] = [];
    live.forEach((c, i) => {
      const a = answers[i];
      if (!a.member) return;
      out.push({ key: c.key, name: c.name, kind: c.kind, state: c.state, version: a.version ?? c.version, as_of: c.lastCalculatedAt });
    });
    return out;
  }

  /** Static cohorts listing any changed distinct_id gain the person that now holds it. */
  async function identitiesChanged(projectId: number, changes: IdentityChange[]): Promise<void> {
    const all = [...new Set(changes.flatMap((c) => c.distinctIds))];
    if (all.length === 0) return;
    const listing = await staticMembers.cohortsListing(projectId, all);
    for (const [cohortId, listed] of listing) {
      const ids = new Set(listed);
      const persons = changes.filter((c) => c.distinctIds.some((d) => ids.has(d))).map((c) => String(c.personId));
      if (persons.length) await membership.addMembers(projectId, cohortId, [...new Set(persons)]);
    }
  }

  /** Erased or merged-away persons leave every cohort's live version. */
  async function personsRemoved(projectId: number, personIds: number[]): Promise<void> {
    if (personIds.length === 0) return;
    const refs = await cohorts.refs(projectId);
    const gone = personIds.map(String);
    await Promise.all([...refs.values()].map((c) => membership.removeMembers(projectId, c.id, gone)));
  }

  /** Registered with the feeds in composition (`feedListeners.push(listener)`). */
  const listener: FeedListener = { identitiesChanged, personsRemoved };

  return { cohortsOfPerson, listener };
}

export type CohortMembership = ReturnType<typeof createCohortMembership>;
