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
}
