/** The refresher over this process's stores (refresher/cohort-refresher.ts). */
import { createCohortRefresher, type CohortRefresherDeps } from '../refresher/cohort-refresher.js';
import type { CohortFeature } from './cohorts.js';
import type { Infra } from './infra.js';

export type RefresherSettings = Omit<CohortRefresherDeps, 'stores' | 'refreshCohort' | 'logger' | 'metrics'>;

export function composeRefresher(infra: Infra, cohorts: Pick<CohortFeature, 'refreshCohort'>, settings: RefresherSettings = {}) {
  return createCohortRefresher({ historyRetentionDays: infra.config.HISTORY_RETENTION_DAYS, ...settings, stores: infra.stores, refreshCohort: cohorts.refreshCohort, logger: infra.logger, metrics: infra.metrics });
}
