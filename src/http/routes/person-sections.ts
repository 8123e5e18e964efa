import type { PersonSection } from './persons.js';
import type { DecideService } from '../../services/decide.js';
import type { HistoryRead } from '../../services/history-read.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Adds `cohorts`: every non-archived cohort the person is in, with its state and freshness,
 * and `entered_at` (ISO; null when the membership began before history was recorded); and
 * `cohort_history`: every recorded interval, newest first (`left_at` null while it lasts;
 * `entered_via` `recording_began` means "a member when recording began, maybe earlier").
 */
export function cohortsSection(deps: {
  cohortsOfPerson(projectId: number, personId: number | null, distinctIds: string[]): Promise<Array<{ key: string }>>;
  history?: Pick<HistoryRead, 'ofPerson'>;
}): PersonSection {
  return async ({ projectId, profile }) => {
    const [current, intervals] = await Promise.all([
      deps.cohortsOfPerson(projectId, profile.person.id, profile.distinctIds),
      deps.history ? deps.history.ofPerson(projectId, profile.person.id, profile.distinctIds) : Promise.resolve([]),
    ]);
    const open = new Map(intervals.filter((i) => i.leftAt === null).map((i) => [i.cohortKey, i]));
    return {
      cohorts: current.map((c) => {
        const i = open.get(c.key);
        return { ...c, entered_at: i && i.enteredVia !== 'recording_began' ? iso(i.enteredAt) : null };
      }),
      cohort_history: intervals.map((i) => ({
        cohort: i.cohortKey, entered_at: iso(i.enteredAt), entered_version: i.enteredVersion, entered_via: i.enteredVia,
        left_at: iso(i.leftAt), left_version: i.leftVersion, left_via: i.leftVia, ...(i.distinctId !== null ? { distinct_id: i.distinctId } : {}),
      })),
    };
  };
}

/**
 * Adds `decisions`: every decision the person gets now, from the same path as a handshake;
 * with `?explain=1` each carries its trace (each rule, each condition's actual vs expected,
 * bucket and threshold, why a rule did not match) and ineligible surveys are listed with why.
 */
export function decisionsSection(deps: { decide: DecideService }): PersonSection {
  return async ({ projectId, distinctId, req }) => {
    const explain = req.query.explain === '1' || req.query.explain === 'true';
    const outcome = await deps.decide.decide({ projectId, distinctId, explain, countRate: false });
    const r = outcome.result;
    return {
      decisions: {
        flags: r.flags,
        configs: r.configs,
        surveys: r.surveys,
        ...(explain ? { ineligible_surveys: r.ineligible_surveys ?? [] } : {}),
        bucketing_key: outcome.bucketingKey,
        snapshot_version: outcome.snapshot.version,
        degraded: outcome.degraded,
      },
    };
  };
}
