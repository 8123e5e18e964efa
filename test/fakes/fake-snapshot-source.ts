import type { CohortInfo } from '../../src/domain/cohort.js';
import type { DefinitionKind } from '../../src/domain/definition.js';
import type { Tier } from '../../src/domain/project.js';
import type { SnapshotRows, SnapshotSource } from '../../src/ports/snapshot-source.js';

/**
 * A project's definitions and cohort states in memory, as adapters/postgres/snapshot-source.ts
 * reads them: every change bumps the project's definitions version (as the admin API and the
 * refresher do); `load` answers null for an unknown project.
 *
 * Setup: `project(id, tier)`, `define(projectId, kind, key, definition)` (a new version of
 * that definition), `cohort(projectId, info)` (adds or replaces by key). Inspection:
 * `loads` (how many `load` calls). `fail(err)` makes `load` and `versions` reject.
 */
export function createFakeSnapshotSource() {
  const projects = new Map<number, SnapshotRows>();
  let failure: Error | null = null;
  const must = (projectId: number) => {
    const p = projects.get(projectId);
    if (!p) throw new Error(`fake snapshot source: no project ${projectId}; call project() first`);
    return p;
  };

  const source: SnapshotSource & {
    loads: number;
    project(projectId: number, tier?: Tier): void;
    define(projectId: number, kind: DefinitionKind, key: string, definition: Record<string, unknown>): void;
    cohort(projectId: number, info: CohortInfo): void;
    fail(err: Error | null): void;
  } = {
    loads: 0,
    async load(projectId) {
      source.loads++;
      if (failure) throw failure;
      const p = projects.get(projectId);
      return p ? structuredClone(p) : null;
    },
    async versions(projectIds) {
      if (failure) throw failure;
      return new Map(projectIds.filter((id) => projects.has(id)).map((id) => [id, projects.get(id)!.definitionsVersion]));
    },
    async cohortRefreshes(projectIds, sinceMs) {
      if (failure) throw failure;
      return projectIds.flatMap((id) => (projects.get(id)?.cohorts ?? []).filter((c) => c.asOf !== null && c.asOf > sinceMs).map((c) => ({ projectId: id, cohortId: c.id, version: c.version, asOf: c.asOf as number })));
    },
    project(projectId, tier = 'pro') {
      projects.set(projectId, { projectId, tier, definitionsVersion: 1, definitions: [], cohorts: [] });
    },
    define(projectId, kind, key, definition) {
      const p = must(projectId);
      const old = p.definitions.find((d) => d.kind === kind && d.key === key);
      const entry = { kind, key, version: (old?.version ?? 0) + 1, definition: structuredClone(definition) };
      p.definitions = [...p.definitions.filter((d) => d !== old), entry];
      p.definitionsVersion++;
    },
    cohort(projectId, info) {
      const p = must(projectId);
      p.cohorts = [...p.cohorts.filter((c) => c.key !== info.key), { ...info }];
      p.definitionsVersion++;
    },
    fail: (err) => void (failure = err),
  };
  return source;
}

export type FakeSnapshotSource = ReturnType<typeof createFakeSnapshotSource>;
