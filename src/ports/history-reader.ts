/**
 * The past as replay needs it (issue 19, docs/history.md): everything one handshake reads,
 * as it was at one instant, from the history tables. Times are unix ms.
 */
import type { CohortInfo } from '../domain/cohort.js';
import type { DefinitionKind } from '../domain/definition.js';
import type { SurveyHistory } from '../domain/person.js';
import type { Tier } from '../domain/project.js';

export interface PastState {
  projectId: number;
  /** the project's tier now (tier changes are not recorded) */
  tier: Tier;
  /** replay is exact from here on (the history's start for this project) */
  historySince: number;
  /** retention removed history before this instant (null: nothing pruned yet) */
  prunedBefore: number | null;
  definitions: Array<{ kind: DefinitionKind; key: string; version: number; definition: Record<string, unknown> }>;
  /** cohorts that existed at the instant, with their state, live version and as-of time then */
  cohorts: CohortInfo[];
  /** cohort id -> when membership recording began (null: never recorded) */
  cohortHistoryFrom: Map<number, number | null>;
  /** the person the distinct id (or else the anon id) belonged to then, null when none */
  person: {
    id: number;
    bucketingKey: string;
    properties: Record<string, unknown>;
    identified: boolean;
    /** the distinct id that resolved it */
    via: 'distinct_id' | 'anon_id';
    surveyHistory: SurveyHistory;
  } | null;
  /** ids of the cohorts the person (or the request's distinct ids, for unseen static ids) was in */
  memberOf: Set<number>;
  /** response counts of surveys then (`survey sent` events received by the instant) */
  surveyResponses: Map<string, number>;
}

export interface HistoryReader {
  /** null when the project does not exist */
  stateAt(projectId: number, distinctId: string, anonId: string | null, at: number): Promise<PastState | null>;
}
