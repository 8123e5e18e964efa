import type { Logger } from 'pino';
import { compileOrBroken, createSnapshot, type Snapshot, type CohortStatus } from '../core/index.js';
import type { CohortInfo } from '../domain/cohort.js';
import type { SnapshotSource } from '../ports/snapshot-source.js';
import type { Tier } from '../domain/project.js';

/** A project's decision inputs that live in memory: compiled definitions and cohort states. */
export interface ProjectSnapshot {
  projectId: number;
  tier: Tier;
  /** projects.definitions_version this snapshot was read at */
  version: number;
  core: Snapshot;
  cohortStatus: ReadonlyMap<string, CohortStatus>;
  /** the cohorts the rules reference and that exist: what one handshake reads from Redis */
  readCohorts: readonly CohortInfo[];
  /** their ids, in the same order (one array per snapshot: the Redis reader caches by it) */
  readCohortIds: readonly number[];
  /** survey keys with a response limit: their counters are read in the same round trip */
  limitedSurveys: readonly string[];
  loadedAt: number;
  /** every cohort of the project (the poll updates their versions and as-of times) */
  cohorts: readonly CohortInfo[];
  /** the newest as-of time (unix ms) the snapshot knows: refreshes after it are polled */
  refreshedThrough: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Cohort states for the core: lifecycle state and as-of time (ISO). */
function statusOf(cohorts: readonly CohortInfo[]): Map<string, CohortStatus> {
  return new Map<string, CohortStatus>(cohorts.map((c) => [c.key, { state: c.state, asOf: iso(c.asOf) }]));
}

/**
 * The same snapshot with newer cohort versions and as-of times (a refresh changes no state):
 * definitions, compiled forms and the array of cohort ids read per handshake stay the same objects.
 */
export function withRefreshes(snap: ProjectSnapshot, refreshes: ReadonlyArray<{ cohortId: number; version: number; asOf: number }>): ProjectSnapshot {
  const byId = new Map(refreshes.map((r) => [r.cohortId, r]));
  let through = snap.refreshedThrough;
  const cohorts = snap.cohorts.map((c) => {
    const r = byId.get(c.id);
    if (!r || (c.asOf !== null && r.asOf <= c.asOf)) return c;
    through = Math.max(through, r.asOf);
    return { ...c, version: r.version, asOf: r.asOf };
  });
  const byKey = new Map(cohorts.map((c) => [c.key, c]));
  return { ...snap, cohorts, cohortStatus: statusOf(cohorts), readCohorts: snap.readCohorts.map((c) => byKey.get(c.key) ?? c), refreshedThrough: through };
}

export interface SnapshotsDeps {
  source: SnapshotSource;
  logger: Logger;
  /** ms between version polls */
  pollMs: number;
  /** called after each snapshot loaded from the source (a metric) */
  onLoad?: () => void;
  /** subscribes to change announcements; returns an unsubscribe function */
  subscribe?(onProject: (projectId: number) => void): Promise<() => Promise<void>>;
  now?: () => number;
}

type Compiled = ReturnType<typeof compileOrBroken>;

/**
 * Builds a snapshot. A definition is immutable per (kind, key, version), so the previous
 * snapshot's compiled form is reused: a cohort refresh, which only changes cohort states,
 * compiles nothing (compiling 65 definitions blocks the event loop ~16 ms, mostly ajv).
 */
export function build(rows: NonNullable<Awaited<ReturnType<SnapshotSource['load']>>>, now: number, previous?: Map<string, Compiled>): { snap: ProjectSnapshot; compiledByKey: Map<string, Compiled> } {
  const compiledByKey = new Map<string, Compiled>();
  const compiled = rows.definitions.map((d) => {
    const id = `${d.kind}\u0000${d.key}\u0000${d.version}`;
    const def = previous?.get(id) ?? compileOrBroken(d.kind, { ...d.definition, key: d.key, version: d.version });
    compiledByKey.set(id, def);
    return def;
  });
  const core = createSnapshot(compiled);
  const byKey = new Map(rows.cohorts.map((c) => [c.key, c]));
  const cohortStatus = statusOf(rows.cohorts);
  const readCohorts = core.cohortKeys.map((k) => byKey.get(k)).filter((c): c is CohortInfo => c !== undefined);
  const limitedSurveys = rows.definitions
    .filter((d) => d.kind === 'survey' && typeof d.definition.response_limit === 'number')
    .map((d) => d.key);
  const readCohortIds = readCohorts.map((c) => c.id);
  const refreshedThrough = rows.cohorts.reduce((m, c) => Math.max(m, c.asOf ?? 0), 0);
  const snap: ProjectSnapshot = {
    projectId: rows.projectId, tier: rows.tier, version: rows.definitionsVersion, core, cohortStatus, readCohorts, readCohortIds, limitedSurveys, loadedAt: now,
    cohorts: rows.cohorts, refreshedThrough,
  };
  return { snap, compiledByKey };
}

/**
 * In-memory snapshots per project. The first handshake of a project loads it from PostgreSQL;
 * after that a decision reads memory only. Changes arrive by pub/sub at once and by a version
 * poll every `pollMs` (the safety net when a message is lost); a reload swaps the whole
 * snapshot, so one handshake always sees one consistent version. When PostgreSQL is down the
 * last snapshot keeps serving.
 */
export function createSnapshots(deps: SnapshotsDeps) {
  const now = deps.now ?? Date.now;
  const snapshots = new Map<number, ProjectSnapshot>();
  const compiledCache = new Map<number, Map<string, Compiled>>();
  const loading = new Map<number, Promise<ProjectSnapshot | null>>();
  let timer: NodeJS.Timeout | null = null;
  let unsubscribe: (() => Promise<void>) | null = null;

  const again = new Set<number>();

  /**
   * Loads a project's snapshot. A request that arrives while a load is in flight schedules one
   * more load after it, since the in-flight read may predate the change being announced.
   */
  function load(projectId: number): Promise<ProjectSnapshot | null> {
    const inflight = loading.get(projectId);
    if (inflight) {
      again.add(projectId);
      return inflight;
    }
    const p = deps.source
      .load(projectId)
      .then((rows) => {
        if (!rows) return null;
        const current = snapshots.get(projectId);
        if (current && current.version > rows.definitionsVersion) return current;
        const { snap, compiledByKey } = build(rows, now(), compiledCache.get(projectId));
        deps.onLoad?.();
        snapshots.set(projectId, snap);
        compiledCache.set(projectId, compiledByKey);
        return snap;
      })
      .finally(() => {
        loading.delete(projectId);
        if (again.delete(projectId)) void load(projectId).catch((err) => deps.logger.warn({ err, projectId }, 'snapshot reload failed'));
      });
    loading.set(projectId, p);
    return p;
  }

  /**
   * One poll: projects whose definitions version moved are reloaded; for the others, cohorts
   * refreshed since the snapshot's newest as-of get their new version and as-of in place.
   */
  async function poll(): Promise<void> {
    if (snapshots.size === 0) return;
    const versions = await deps.source.versions([...snapshots.keys()]);
    const stale = [...snapshots.values()].filter((s) => (versions.get(s.projectId) ?? s.version) !== s.version);
    await Promise.all(stale.map((s) => load(s.projectId)));
    const current = [...snapshots.values()].filter((s) => !stale.includes(s) && !loading.has(s.projectId));
    if (current.length === 0) return;
    const since = Math.min(...current.map((s) => s.refreshedThrough));
    const refreshes = await deps.source.cohortRefreshes(current.map((s) => s.projectId), since);
    if (refreshes.length === 0) return;
    for (const s of current) {
      const mine = refreshes.filter((r) => r.projectId === s.projectId);
      // Replace only if no reload swapped the snapshot meanwhile.
      if (mine.length && snapshots.get(s.projectId) === s) snapshots.set(s.projectId, withRefreshes(s, mine));
    }
  }

  return {
    /** The loaded snapshot, or undefined when it must be loaded first (cold start). */
    peek: (projectId: number): ProjectSnapshot | undefined => snapshots.get(projectId),

    /** The snapshot; loads it when absent. Throws only when it was never loaded and PostgreSQL fails. */
    async get(projectId: number): Promise<ProjectSnapshot | null> {
      return snapshots.get(projectId) ?? load(projectId);
    },

    /** Reloads a project now (after a local change or an announcement). */
    refresh: (projectId: number) => (snapshots.has(projectId) || loading.has(projectId) ? load(projectId) : Promise.resolve(null)),

    async start(): Promise<void> {
      if (deps.subscribe) {
        unsubscribe = await deps
          .subscribe((projectId) => {
            // Only projects this process serves are kept fresh; others load on first use.
            if (snapshots.has(projectId) || loading.has(projectId)) void load(projectId).catch((err) => deps.logger.warn({ err, projectId }, 'snapshot reload failed'));
          })
          .catch((err) => {
            deps.logger.warn({ err: (err as Error).message }, 'definition change subscription failed; polling only');
            return null;
          });
      }
      const tick = () => {
        timer = setTimeout(() => {
          poll()
            .catch((err) => deps.logger.warn({ err: (err as Error).message }, 'snapshot poll failed'))
            .finally(() => {
              if (timer) tick();
            });
        }, deps.pollMs);
        timer.unref();
      };
      tick();
    },

    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = null;
      if (unsubscribe) await unsubscribe();
    },
  };
}

export type Snapshots = ReturnType<typeof createSnapshots>;
