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
import type { MemberChange, MembershipStore } from '../ports/membership-store.js';
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

  /** Applies a change's effect on member_count (the live version's exact size). */
  async function counted(projectId: number, cohortId: number, change: MemberChange | null, sign: 1 | -1): Promise<void> {
    if (change?.changed) await cohorts.adjustMemberCount(projectId, cohortId, change.version, sign * change.changed);
  }

  /**
   * Static cohorts listing a changed distinct_id gain the person that now holds it, in place
   * of the `d:<id>` entry that stood for it while it was unseen. Paused cohorts are frozen:
   * they take nothing.
   */
  async function identitiesChanged(projectId: number, changes: IdentityChange[]): Promise<void> {
    const all = [...new Set(changes.flatMap((c) => c.distinctIds))];
    if (all.length === 0) return;
    const listing = await staticMembers.cohortsListing(projectId, all);
    for (const [cohortId, listed] of listing) {
      const ids = new Set(listed);
      const persons = changes.filter((c) => c.distinctIds.some((d) => ids.has(d))).map((c) => String(c.personId));
      if (persons.length === 0) continue;
      await counted(projectId, cohortId, await membership.addMembers(projectId, cohortId, [...new Set(persons)]), 1);
      await counted(projectId, cohortId, await membership.removeMembers(projectId, cohortId, listed.map((d) => `d:${d}`)), -1);
    }
  }

  /**
   * Erased or merged-away persons leave every cohort's live version (paused ones too: such a
   * person no longer exists). `distinctIds` are erased ids: their `d:<id>` entries go as well.
   */
  async function personsRemoved(projectId: number, personIds: number[], distinctIds: readonly string[] = []): Promise<void> {
    if (personIds.length === 0 && distinctIds.length === 0) return;
    const refs = await cohorts.refs(projectId);
    const gone = [...personIds.map(String), ...distinctIds.map((d) => `d:${d}`)];
    await Promise.all([...refs.values()].map(async (c) => counted(projectId, c.id, await membership.removeMembers(projectId, c.id, gone), -1)));
  }

  /** Erased persons (GDPR): their person ids and their `d:<id>` entries leave every cohort. */
  async function personsErased(projectId: number, erased: IdentityChange[]): Promise<void> {
    await personsRemoved(projectId, [], erased.flatMap((e) => e.distinctIds));
  }

  /** Registered with the feeds in composition (`feedListeners.push(listener)`). */
  const listener: FeedListener = { identitiesChanged, personsRemoved: (p, ids) => personsRemoved(p, ids), personsErased };

  return { cohortsOfPerson, listener };
}

export type CohortMembership = ReturnType<typeof createCohortMembership>;
