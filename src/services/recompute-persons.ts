/**
 * Event-driven recompute (PRODUCT.md 6.3, enterprise tier): re-evaluates a few persons in
 * every active dynamic cohort of a project and adds or removes them in the live version,
 * without a full refresh. One restricted query per cohort (the compiled definition with
 * `restrictToPersonIds`), then one Lua call per cohort to SADD and one to SREM.
 */
import type { Logger } from 'pino';
import { bindPersonIds, compileCohort } from '../cohorts/compiler.js';
import type { CohortQueryLimits, CohortQueryRunner } from '../ports/cohort-query-runner.js';
import type { CohortStore } from '../ports/cohort-store.js';
import type { MembershipStore } from '../ports/membership-store.js';

export interface RecomputePersonsDeps {
  runQuery: CohortQueryRunner;
  cohorts: CohortStore;
  membership: MembershipStore;
  logger?: Logger;
  /** per-query limits (default statement_timeout 30 s: a few persons are quick) */
  query?: CohortQueryLimits;
  clock?: () => number;
  /**
   * Told the members of the live version `version` that are in (`entered`) and out (`left`)
   * after an update (membership history records what actually changed); not awaited, failures are logged.
   */
  onChanges?: (projectId: number, cohortId: number, version: number, entered: string[], left: string[]) => Promise<void>;
}

/**
 * `(projectId, personIds)`: resolves when every active dynamic cohort has been updated, with
 * how many cohorts failed (logged; their scheduled refresh repairs them). Read-your-writes
 * holds a write's token back when any failed (docs/read-your-writes.md).
 */
export type RecomputePersons = (projectId: number, personIds: number[]) => Promise<{ failedCohorts: number }>;

export function createRecomputePersons(deps: RecomputePersonsDeps): RecomputePersons {
  const clock = deps.clock ?? Date.now;
  const limits = { timeoutMs: 30_000, ...deps.query };

  return async function recomputePersons(projectId, personIds) {
    const ids = [...new Set(personIds)];
    let failedCohorts = 0;
    if (ids.length === 0) return { failedCohorts };
    const refs = await deps.cohorts.refs(projectId);
    const now = clock();
    for (const [key, c] of refs) {
      // Building cohorts have no live version yet; paused ones are frozen; archived ones are gone.
      if (c.kind !== 'dynamic' || c.state !== 'active' || !c.definition) continue;
      try {
        const q = bindPersonIds(compileCohort(c.definition, { projectId, now, cohortRefs: refs, restrictToPersonIds: true }, key), ids);
        const members = new Set(await deps.runQuery(q, limits));
        const inside = ids.filter((id) => members.has(id)).map(String);
        const outside = ids.filter((id) => !members.has(id)).map(String);
        const added = inside.length ? await deps.membership.addMembers(projectId, c.id, inside) : null;
        const removed = outside.length ? await deps.membership.removeMembers(projectId, c.id, outside) : null;
        // member_count follows event-driven joins and leaves of the live version exactly.
        for (const change of [added, removed]) {
          if (change?.changed) await deps.cohorts.adjustMemberCount(projectId, c.id, change.version, change === added ? change.changed : -change.changed);
        }
        // Both calls hit the same live version unless a refresh switched in between; then the refresh's diff records it.
        const version = added?.version ?? removed?.version;
        if (deps.onChanges && version !== undefined && (added === null || removed === null || added.version === removed.version)) {
          // Not awaited: history follows the update without delaying the recompute (and those waiting on it).
          void deps.onChanges(projectId, c.id, version, added ? inside : [], removed ? outside : []).catch((err) => deps.logger?.warn({ err, cohort: c.id }, 'membership history of an event-driven update not recorded'));
        }
      } catch (err) {
        // One broken cohort must not stop the others; its scheduled refresh reports the error.
        failedCohorts++;
        deps.logger?.warn({ err, cohort: c.id, project: projectId }, 'event-driven cohort recompute failed');
      }
    }
    return { failedCohorts };
  };
}
