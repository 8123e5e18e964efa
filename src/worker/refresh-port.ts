/**
 * What the refresher needs from the cohort computation: services/refresh-cohort.ts takes
 * the cohort's row lease, computes a new version, switches it live atomically, records
 * history and bookkeeping, and releases the lease. The refresher only schedules.
 */
export type { RefreshCohort as RefreshCohortFn, RefreshOutcome as RefreshResult } from '../services/refresh-cohort.js';
