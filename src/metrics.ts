import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per composed app (tests compose many), holding every metric we export.
 * Durations are in seconds, as Prometheus conventions ask.
 */
export function createMetrics(opts: { defaults?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'switchboard_http_request_duration_seconds',
      help: 'HTTP request duration by route and status class',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    eventsIngested: new Counter({
      name: 'switchboard_events_total',
      help: 'Events received, by outcome (stored, deduplicated, rejected)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    decisions: decisionCounter(registry),
    cohortRefreshDuration: new Histogram({
      name: 'switchboard_cohort_refresh_duration_seconds',
      help: 'Cohort refresh duration by tier and outcome',
      labelNames: ['tier', 'outcome'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [registry],
    }),
    cohortRefreshLag: new Histogram({
      name: 'switchboard_cohort_refresh_lag_seconds',
      help: 'How late a refresh started behind its scheduled time, by tier',
      labelNames: ['tier'] as const,
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers: [registry],
    }),
    cohortRefreshFailures: new Counter({
      name: 'switchboard_cohort_refresh_failures_total',
      help: 'Failed cohort refreshes by tier and error code',
      labelNames: ['tier', 'code'] as const,
      registers: [registry],
    }),
    cohortMembers: new Gauge({
      name: 'switchboard_cohort_members',
      help: 'Members of the last materialized version, summed per tier',
      labelNames: ['tier'] as const,
      registers: [registry],
    }),
    cohortEventRecompute: new Counter({
      name: 'switchboard_cohort_event_recompute_persons_total',
      help: 'Persons re-evaluated by the event-driven recompute (enterprise tier), by outcome (recomputed, dropped, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    redisDegraded: new Counter({
      name: 'switchboard_redis_degraded_total',
      help: 'Handshakes answered without Redis (timeout or disconnected)',
      registers: [registry],
    }),
    membershipUnavailable: new Counter({
      name: 'switchboard_membership_unavailable_total',
      help: 'Handshakes that found a cohort with no live membership in Redis (lost); rules reading it were skipped',
      registers: [registry],
    }),
    membershipRecovered: new Counter({
      name: 'switchboard_membership_recovered_total',
      help: 'Cohorts whose lost membership the refresher re-materialized at once, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    snapshotLoads: new Counter({
      name: 'switchboard_snapshot_loads_total',
      help: 'Definition snapshots loaded from PostgreSQL (first use, or a definitions change)',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Decision kinds and reasons counted by `switchboard_decisions_total`. */
const DECISION_KINDS = ['flag', 'config', 'survey'] as const;
const DECISION_REASONS = ['STATIC', 'DEFAULT', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'ERROR', 'STALE', 'CACHED', 'UNKNOWN'] as const;
type Tally = Record<(typeof DECISION_KINDS)[number], Record<string, number>>;

const zeroes = (): Record<string, number> => Object.fromEntries(DECISION_REASONS.map((r) => [r, 0]));

/**
 * `switchboard_decisions_total{kind,reason}`. The hot path only increments a plain object
 * (`tally.flag[reason]++`, a few ns per decision); the counter takes the tally when it is
 * scraped, so 65 decisions per handshake never cost 65 label lookups.
 */
function decisionCounter(registry: Registry) {
  let tally: Tally = { flag: zeroes(), config: zeroes(), survey: zeroes() };
  const counter = new Counter({
    name: 'switchboard_decisions_total',
    help: 'Decisions served, by kind (flag, config, survey) and reason',
    labelNames: ['kind', 'reason'] as const,
    registers: [registry],
    collect() {
      const taken = tally;
      tally = { flag: zeroes(), config: zeroes(), survey: zeroes() };
      for (const kind of DECISION_KINDS) {
        for (const [reason, n] of Object.entries(taken[kind])) if (n > 0) this.inc({ kind, reason }, n);
      }
    },
  });
  return {
    counter,
    /** the tally the decide service increments: `tally().flag[reason]++` */
    tally: (): Tally => tally,
  };
}
