import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { CohortRunStore } from '../ports/cohort-run-store.js';
import type { RefreshCohort, RefreshOutcome } from '../ports/refresh-cohort.js';
import type { ClaimedCohort, RefreshLeaseStore } from '../ports/refresh-lease-store.js';
import { backoffMs, dependencyOrder, effectiveInterval, nextSlot } from './schedule.js';

export interface RefresherOptions {
  leases: Pick<RefreshLeaseStore, 'claimDue' | 'renew'>;
  runs: Pick<CohortRunStore, 'reschedule' | 'errorsCalculating' | 'closeInterrupted'>;
  refreshCohort: RefreshCohort;
  logger: Logger;
  metrics: Metrics;
  /** the clock, unix ms (tests inject one) */
  now?: () => number;
  /** ms between ticks of the loop (default 1000) */
  tickMs?: number;
  /** this worker's name in leases and history (default host:pid:random) */
  workerId?: string;
  /** ms a run's lease lasts before another worker may take the cohort over (default 60 s, so a killed refresher holds its cohort about a minute); renewed at a third of it */
  leaseMs?: number;
  /** cohorts claimed per tick (default 10) */
  batchSize?: number;
  /** cohorts computed at once (default 2) */
  concurrency?: number;
  /** extra periodic work run after each tick (archived cleanup, gauges); errors are logged */
  housekeeping?: Array<(nowMs: number) => Promise<void>>;
}

/** What one pass did, for tests and logs. */
export interface TickReport {
  claimed: number;
  outcomes: Array<{ cohortId: number; projectId: number; result: RefreshOutcome }>;
}

/** Where a static cohort's next run sits after a success: never, until an edit or a recovery makes it due. */
export const STATIC_NEXT_RUN_MS = Date.UTC(9999, 0, 1);

export const defaultWorkerId = () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/**
 * The refresher loop: each tick claims due cohorts through PostgreSQL row leases, computes
 * them (dependencies first, `concurrency` at a time), and schedules each cohort's next run:
 * its next phase slot after a success, exponential backoff after a failure.
 * start()/stop() run it on a timer; stop() waits for the run in progress. runOnce() is one
 * tick, for tests and for the CLI.
 */
export function createRefresher(opts: RefresherOptions) {
  const now = opts.now ?? Date.now;
  const tickMs = opts.tickMs ?? 1_000;
  const leaseMs = opts.leaseMs ?? 60_000;
  const batchSize = opts.batchSize ?? 10;
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const workerId = opts.workerId ?? defaultWorkerId();
  const log = opts.logger.child({ worker: workerId });
  const { leases, runs } = opts;
  const { metrics } = opts;

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<TickReport> | null = null;
  let stopped = true;

  async function runOne(c: ClaimedCohort): Promise<RefreshOutcome> {
    const startedAt = now();
    if (c.scheduledAt !== null) metrics.cohortRefreshLag.observe({ tier: c.tier }, Math.max(0, startedAt - c.scheduledAt) / 1000);
    if (c.expiredLeaseOwner && c.expiredLeaseOwner !== workerId) {
      const closed = await runs.closeInterrupted(c.projectId, c.id, c.expiredLeaseOwner, startedAt);
      if (closed) log.warn({ cohort: c.id, dead: c.expiredLeaseOwner }, 'took over a cohort whose worker lost its lease');
    }
    // Renew the lease while the compute runs, so a long query is not taken over.
    const renew = setInterval(() => {
      void leases.renew(c.projectId, c.id, workerId, leaseMs).catch(() => {});
    }, Math.max(50, Math.floor(leaseMs / 3)));
    let result: RefreshOutcome;
    try {
      // No `now`: refreshCohort evaluates relative windows at the real time.
      result = await opts.refreshCohort(c.projectId, c.id, { worker: workerId, leaseMs });
    } catch (err) {
      // An unexpected error (PostgreSQL or Redis away): retry with backoff like a failure.
      log.error({ err, cohort: c.id }, 'refresh threw');
      result = { status: 'failed', code: 'interrupted', message: (err as Error).message ?? String(err) };
    } finally {
      clearInterval(renew);
    }
    const finishedAt = now();
    const seconds = result.status === 'ok' ? result.durationMs / 1000 : Math.max(0, finishedAt - startedAt) / 1000;
    metrics.cohortRefreshDuration.observe({ tier: c.tier, outcome: result.status }, seconds);
    await schedule(c, result, finishedAt);
    return result;
  }

  async function schedule(c: ClaimedCohort, result: RefreshOutcome, at: number): Promise<void> {
    const intervalS = effectiveInterval(c.tier, c.refreshIntervalS);
    if (result.status === 'failed') {
      metrics.cohortRefreshFailures.inc({ tier: c.tier, code: result.code });
      const errors = Math.max(1, await runs.errorsCalculating(c.projectId, c.id));
      const retryAt = at + backoffMs(errors, intervalS, c.id);
      log.warn({ cohort: c.id, project: c.projectId, code: result.code, errors, retry_at: new Date(retryAt).toISOString() }, `cohort refresh failed: ${result.message}`);
      await runs.reschedule(c.projectId, c.id, retryAt);
    } else {
      // ok, skipped, or busy (someone else, e.g. an admin's refresh-now, is computing it right
      // now): back to the phase slot. A busy lease that then dies is retried at that slot.
      if (result.status === 'busy') log.debug({ cohort: c.id }, 'cohort busy elsewhere');
      // A static cohort changes only when its list does (the edit rematerializes it) or when an
      // alias moves a listed id (static-follow updates it): it has no schedule of its own.
      const next = c.kind === 'static' ? STATIC_NEXT_RUN_MS : nextSlot(at, { id: c.id, tier: c.tier, refreshIntervalS: c.refreshIntervalS });
      await runs.reschedule(c.projectId, c.id, next);
    }
  }

  /** Runs claimed cohorts in dependency order, `concurrency` at a time, never a cohort before a claimed dependency. */
  async function runBatch(claimed: ClaimedCohort[]): Promise<TickReport['outcomes']> {
    // Keys are unique per project only, so the graph is keyed by project and key.
    const node = (projectId: number, key: string) => `${projectId}:${key}`;
    const ordered = dependencyOrder(
      claimed.map((c) => ({ ...c, cohort: c, key: node(c.projectId, c.key), refs: c.refs.map((r) => node(c.projectId, r)) })),
    );
    const done = new Map<string, Promise<void>>();
    const outcomes: TickReport['outcomes'] = [];
    let next = 0;
    const lane = async () => {
      while (next < ordered.length) {
        const n = ordered[next++];
        const task = (async () => {
          await Promise.all(n.refs.map((k) => done.get(k)).filter((p) => p !== undefined));
          const result = await runOne(n.cohort);
          outcomes.push({ cohortId: n.id, projectId: n.projectId, result });
        })().catch((err) => log.error({ err, cohort: n.id }, 'cohort run failed'));
        done.set(n.key, task);
        await task;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, ordered.length) }, lane));
    return outcomes;
  }

  async function tick(): Promise<TickReport> {
    const t = now();
    const claimed = await leases.claimDue(t, batchSize, t + leaseMs);
    const outcomes = claimed.length ? await runBatch(claimed) : [];
    for (const job of opts.housekeeping ?? []) {
      await job(now()).catch((err) => log.warn({ err }, 'refresher housekeeping failed'));
    }
    return { claimed: claimed.length, outcomes };
  }

  /** One tick: claim due cohorts, compute them, reschedule them. Never overlaps itself. */
  function runOnce(): Promise<TickReport> {
    if (!running) running = tick().finally(() => (running = null));
    return running;
  }

  const loop = async () => {
    timer = null;
    if (stopped) return;
    try {
      const report = await runOnce();
      // A full batch means more is due: go again at once instead of waiting a tick.
      if (!stopped) timer = setTimeout(loop, report.claimed >= batchSize ? 0 : tickMs);
    } catch (err) {
      log.warn({ err }, 'refresher tick failed; retrying');
      if (!stopped) timer = setTimeout(loop, Math.max(tickMs, 5_000));
    }
  };

  return {
    workerId,
    runOnce,
    start(): void {
      if (!stopped) return;
      stopped = false;
      log.info({ tick_ms: tickMs, lease_ms: leaseMs }, 'cohort refresher started');
      timer = setTimeout(loop, 0);
    },
    /** Stops the loop and waits for the run in progress (its cohorts finish and are rescheduled). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => {});
      log.info('cohort refresher stopped');
    },
  };
}

export type Refresher = ReturnType<typeof createRefresher>;
