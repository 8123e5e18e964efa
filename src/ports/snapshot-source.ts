import type { CohortInfo } from '../domain/cohort.js';
import type { DefinitionKind } from '../domain/definition.js';
import type { Tier } from '../domain/project.js';

/** Everything a project's decisions are made from, as read at one definitions version. */
export interface SnapshotRows {
  projectId: number;
  tier: Tier;
  definitionsVersion: number;
  definitions: Array<{ kind: DefinitionKind; key: string; version: number; definition: Record<string, unknown> }>;
  cohorts: CohortInfo[];
}

/** Reads a project's definitions and cohort states consistently (one read-only snapshot). */
export interface SnapshotSource {
  /** null when the project does not exist */
  load(projectId: number): Promise<SnapshotRows | null>;
  /** the current definitions version of each project (one cheap query per poll) */
  versions(projectIds: number[]): Promise<Map<number, number>>;
  /**
   * Cohorts of these projects materialized after `sinceMs` (unix ms): their live version and
   * as-of time. A refresh changes no state, so it bumps no definitions version: the poll
   * picks its new version and as-of up from here instead of reloading the snapshot.
   */
  cohortRefreshes(projectIds: number[], sinceMs: number): Promise<Array<{ projectId: number; cohortId: number; version: number; asOf: number }>>;
}
