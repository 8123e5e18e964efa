import type { PersonSection } from './persons.js';
import type { DecideService } from '../../services/decide.js';

/** Adds `cohorts`: every non-archived cohort the person is in, with its state and freshness. */
export function cohortsSection(deps: {
  cohortsOfPerson(projectId: number, personId: number | null, distinctIds: string[]): Promise<unknown[]>;
}): PersonSection {
  return async ({ projectId, profile }) => ({
    cohorts: await deps.cohortsOfPerson(projectId, profile.person.id, profile.distinctIds),
  });
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
