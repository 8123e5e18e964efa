/**
 * One cohort refresh (PRODUCT.md 6.3): take the row lease, compute the members, write them
 * to Redis as a new version, switch readers to it atomically, drop the old version, and
 * record bookkeeping and history. A failure keeps the previous version live.
 * Scheduling and backoff belong to the refresher loop (refresher.ts), which calls this; the
 * admin API's refresh-now and static-member edits call it too.
 */
import type { Logger } from 'pino';
import { compileCohort } from '../cohorts/compiler.js';
import { CohortRefreshError, toCohortError } from '../cohorts/errors.js';
import type { CohortQueryLimits, CohortQueryRunner, CohortQueryStream } from '../ports/cohort-query-runner.js';
import type { RefreshLeaseStore } from '../ports/refresh-lease-store.js';
import type { CohortStore } from '../ports/cohort-store.js';
import type { CohortRunStore } from '../ports/cohort-run-store.js';
import type { LeasedCohort } from '../domain/cohort.js';
import type { StaticMemberStore } from '../ports/static-member-store.js';
import type { MembershipStore } from '../ports/membership-store.js';
import type { CohortSwitched, SwitchAnnouncement } from '../ports/live-channel.js';
import type { Transactions } from '../ports/db.js';

export type { RefreshCohort, RefreshOptions, RefreshOutcome } from '../ports/refresh-cohort.js';
import type { RefreshCohort } from '../ports/refresh-cohort.js';

export interface RefreshCohortDeps {
  runQuery: CohortQueryRunner;
  /** the streamed runner (batches from a cursor); without it, runQuery's whole answer is streamed on */
  streamQuery?: CohortQueryStream;
  leases: Pick<RefreshLeaseStore, 'acquire' | 'release'>;
  cohorts: Pick<CohortStore, 'refs' | 'bumpDefinitionsVersion'>;
  runs: Pick<CohortRunStore, 'exists' | 'startRun' | 'succeed' | 'fail' | 'finishCalculation'>;
  staticMembers: Pick<StaticMemberStore, 'resolve'>;
  membership: Pick<MembershipStore, 'currentVersion' | 'writeVersion' | 'switchTo' | 'dropVersion' | 'bytes'>;
  /** announces changed cohort states to API processes (Redis PUBLISH); failures are ignored */
  notify: (projectId: number) => Promise<void>;
  logger?: Logger;
  query?: CohortQueryLimits;
  /** most members a cohort may have before the refresh fails with `capacity` (default 10M) */
  maxMembers?: number;
  clock?: () => number;
  /**
   * Told after a new version went live and before the replaced versions are dropped (so it
   * can diff them): prepares the webhook outbox rows and the decision streams' message
   * (services/live-changes.ts). Its outbox rows are written in the transaction that records the
   * new version (`tx`); when it throws, nothing is recorded (the next run announces the change).
   */
  onSwitched?: (e: CohortSwitched) => Promise<SwitchAnnouncement>;
  /** transactions for recording a switch with its announcement (required with onSwitched) */
  tx?: Pick<Transactions, 'run'>;
  /**
   * Membership history (services/membership-history.ts), told first, with `previousVersion` =
   * the version live in Redis before the switch. An object of numbers it resolves to joins the
   * calculation's stats (e.g. `history_ms`). Failures are logged (the next run resynchronizes).
   */
  recordHistory?: (e: CohortSwitched) => Promise<unknown>;
}

const DEFAULT_LEASE_MS = 60_000;

/** Static members: person ids ascending (the membership layout's order), then `d:<id>` for unseen ids. */
const ascending = (ids: number[]): string[] => ids.sort((a, b) => a - b).map(String);

export function createRefreshCohort(deps: RefreshCohortDeps): RefreshCohort {
  const clock = deps.clock ?? Date.now;
  const maxMembers = deps.maxMembers ?? 10_000_000;
  const stream: CohortQueryStream =
    deps.streamQuery ??
    ((q, limits) => ({
      async *[Symbol.asyncIterator]() {
        yield (await deps.runQuery(q, limits)).sort((a, b) => a - b);
      },
    }));

  /**
   * The member strings of a cohort, streamed (person ids ascending, then `d:<id>` for unseen
   * static ids): a dynamic cohort's ids flow from the database, in the query runner's
   * batches, into Redis, so memory stays bounded whatever the cohort's size. Yields batches
   * (an `await` per member cost 0.3 s per 300,000 members). Counts them into `stats.rows`
   * and fails with `capacity` past maxMembers (the caller drops the partial version).
   */
  async function* members(c: LeasedCohort, now: number, stats: Record<string, number>): AsyncGenerator<string | string[]> {
    const started = performance.now();
    let n = 0;
    const count = () => {
      if (++n > maxMembers) {
        stats.rows = n;
        throw new CohortRefreshError('capacity', `more than ${maxMembers} members (the limit)`);
      }
    };
    if (c.kind === 'static') {
      const { personIds, unseen } = await deps.staticMembers.resolve(c.projectId, c.id);
      stats.unseen = unseen.length;
      for (const id of ascending(personIds)) {
        count();
        yield id;
      }
      for (const d of unseen) {
        count();
        yield `d:${d}`;
      }
    } else {
      if (!c.definition) throw new CohortRefreshError('validation_error', 'dynamic cohort has no definition');
      const refs = await deps.cohorts.refs(c.projectId);
      const q = compileCohort(c.definition, { projectId: c.projectId, now, cohortRefs: refs, ordered: true }, c.key);
      for await (const batch of stream(q, deps.query)) {
        const out = new Array<string>(batch.length);
        for (let i = 0; i < batch.length; i++) {
          count();
          out[i] = String(batch[i]);
        }
        yield out;
      }
    }
    stats.rows = n;
    stats.query_ms = Math.round(performance.now() - started);
  }

  return async function refreshCohort(projectId, cohortId, opts) {
    const { worker } = opts;
    const leased = await deps.leases.acquire(projectId, cohortId, worker, opts.leaseMs ?? DEFAULT_LEASE_MS);
    if (!leased) return (await deps.runs.exists(projectId, cohortId)) ? { status: 'busy' } : { status: 'skipped', reason: 'cohort not found' };
    // A paused cohort is frozen; only a recovery (its membership was lost) recomputes it.
    if (leased.state === 'archived' || (leased.state === 'paused' && !opts.recover)) {
      await deps.leases.release(projectId, cohortId, worker);
      return { status: 'skipped', reason: `cohort is ${leased.state}` };
    }

    const started = performance.now();
    const now = opts.now ?? clock();
    // Redis may be ahead of PostgreSQL (a run that died between switch and bookkeeping).
    const live = await deps.membership.currentVersion(projectId, cohortId).catch(() => null);
    const { version, calculationId } = await deps.runs.startRun(projectId, cohortId, worker, live ?? 0);
    const stats: Record<string, number> = {};
    let written = false;
    let switched = false;
    try {
      written = true; // from the first write on, a failure must drop the partial version
      // Query and Redis writes overlap (streamed), so redis_ms includes the query's time.
      stats.redis_ms = Math.round(await deps.membership.writeVersion(projectId, cohortId, version, members(leased, now, stats)));
      const memberCount = stats.rows ?? 0;
      const previous = await deps.membership.switchTo(projectId, cohortId, version);
      const switchedAt = clock();
      if (previous === -1) throw new CohortRefreshError('interrupted', `a newer version than ${version} is already live (this run lost its lease)`);
      switched = true;
      const switchedEvent = { projectId, cohortId, cohortKey: leased.key, kind: leased.kind, version, memberCount, asOf: now, switchedAt };
      if (deps.recordHistory) {
        const extra = await deps
          .recordHistory({ ...switchedEvent, previousVersion: previous })
          .catch((err) => deps.logger?.warn({ err, cohort: cohortId }, 'membership history not recorded; the next refresh resynchronizes it'));
        if (extra && typeof extra === 'object') Object.assign(stats, extra as Record<string, number>);
      }
      // Record the switch in PostgreSQL and its webhook outbox rows in one transaction, diffed
      // from the recorded version (whose set is still in Redis: nothing recorded is dropped
      // before its successor is recorded). Not recorded (a newer version already was, or the
      // transaction failed): no outbox row, and the next run announces from the recorded version.
      const done = { version, memberCount, asOf: now };
      if (deps.onSwitched && deps.tx) {
        const told = performance.now();
        const announcement = await deps.onSwitched({ ...switchedEvent, previousVersion: leased.version || previous });
        const recorded = await deps.tx.run(async (db) => {
          const ok = await deps.runs.succeed(projectId, cohortId, worker, done, db);
          if (ok) await announcement.record(db);
          return ok;
        });
        if (recorded) await announcement.publish().catch((err) => deps.logger?.warn({ err, cohort: cohortId }, 'cohort switch publish failed'));
        stats.listeners_ms = Math.round(performance.now() - told);
      } else await deps.runs.succeed(projectId, cohortId, worker, done);
      // Versions this one replaces: the pointer's previous value, the recorded one, and
      // any version a dead run left pending. None of them is live any more.
      for (const old of new Set([previous, leased.version, leased.pendingVersion ?? 0])) {
        if (old > 0 && old !== version) await deps.membership.dropVersion(projectId, cohortId, old);
      }
      stats.redis_bytes = await deps.membership.bytes(projectId, cohortId, version).catch(() => 0);
      const durationMs = performance.now() - started;
      if (opts.recover) stats.recovered = 1;
      await deps.runs.finishCalculation(projectId, calculationId, { durationMs, memberCount, stats });
      // Only a state change (building -> active) changes what decisions read from the snapshot;
      // a new version and as-of time reach API processes through their poll, without a reload.
      if (leased.state === 'building') {
        await deps.cohorts.bumpDefinitionsVersion(projectId);
        await deps.notify(projectId).catch((err) => deps.logger?.warn({ err }, 'cohort change notification failed'));
      }
      return { status: 'ok', version, memberCount, durationMs: Math.round(durationMs), asOf: now };
    } catch (err) {
      const error = toCohortError(err);
      if (switched) throw err; // only bookkeeping failed: the new version is live; the next run repairs PostgreSQL
      if (written) await deps.membership.dropVersion(projectId, cohortId, version).catch(() => {});
      deps.logger?.warn({ cohort: cohortId, project: projectId, code: error.code, err }, 'cohort refresh failed');
      await deps.runs.fail(projectId, cohortId, worker, version, error);
      await deps.runs.finishCalculation(projectId, calculationId, { durationMs: performance.now() - started, error, stats });
      return { status: 'failed', code: error.code, message: error.message };
    }
  };
}
