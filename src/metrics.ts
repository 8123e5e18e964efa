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
    decisions: new Counter({
      name: 'switchboard_decisions_total',
      help: 'Decisions served, by kind and reason',
      labelNames: ['kind', 'reason'] as const,
      registers: [registry],
    }),
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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
