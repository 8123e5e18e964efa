/**
 * The handshake's input assembly as a pure function (no I/O, no clock): the snapshot, the
 * request, the person and what the one Redis read returned, in; the core's DecisionInput out.
 */
import type { CohortStatus, DecisionInput } from '../core/index.js';
import type { SurveyHistory } from '../domain/person.js';
import type { HandshakeRead } from '../ports/handshake-reader.js';
import type { DecideRequest } from './decide.js';
import type { ProjectSnapshot } from './snapshots.js';

/** Who the decision is for, wherever it was read from (Redis, or PostgreSQL while the map is rebuilt). */
export interface DecisionPerson {
  personId: number | null;
  /** the person's bucketing key, or the distinct_id itself when there is no person */
  bucketingKey: string;
  properties: Record<string, unknown>;
  surveyHistory: SurveyHistory;
}

/** The snapshot's cohort states with `keys` marked unavailable (a copy; the snapshot is shared). */
function withUnavailable(statuses: ReadonlyMap<string, CohortStatus>, keys: readonly string[]): ReadonlyMap<string, CohortStatus> {
  const out = new Map(statuses);
  for (const k of keys) out.set(k, { state: 'unavailable', asOf: null });
  return out;
}

/** The person a Redis read found, or "no person" (buckets by the distinct_id, PRODUCT.md 5). */
export function personOf(read: Pick<HandshakeRead, 'personId' | 'person'>, distinctId: string): DecisionPerson {
  const p = read.person;
  return {
    personId: read.personId,
    bucketingKey: p?.bucketingKey ?? distinctId,
    properties: p?.properties ?? {},
    surveyHistory: p?.surveyHistory ?? { answered: [], lastShownAt: null },
  };
}

/**
 * Builds the core's input. `members[i]` says whether the person is in `snap.readCohorts[i]`;
 * `responses[i]` is the response count of `snap.limitedSurveys[i]`. Request properties and
 * context overlay the stored properties (in that order). `now` is unix ms.
 */
export function decisionInput(
  snap: ProjectSnapshot,
  req: DecideRequest,
  person: DecisionPerson,
  read: Pick<HandshakeRead, 'members' | 'responses'>,
  now: number,
  only?: ReadonlySet<string>,
  /** keys of cohorts whose membership is missing: read as `unavailable`, never "not a member" */
  unavailable?: readonly string[] | null,
): DecisionInput {
  const cohorts = new Set<string>();
  for (let i = 0; i < snap.readCohortIds.length; i++) if (read.members[i]) cohorts.add(snap.readCohorts[i].key);
  const responses = new Map<string, number>();
  snap.limitedSurveys.forEach((k, i) => responses.set(k, read.responses[i] ?? 0));
  const stored = person.properties;
  const properties = req.personProperties || req.context ? { ...stored, ...req.personProperties, ...req.context } : stored;
  return {
    distinctId: req.distinctId,
    bucketingKey: person.bucketingKey,
    properties,
    cohorts,
    cohortStatus: unavailable?.length ? withUnavailable(snap.cohortStatus, unavailable) : snap.cohortStatus,
    now,
    explain: req.explain,
    surveyHistory: { answered: new Set(person.surveyHistory.answered), lastShownAt: person.surveyHistory.lastShownAt, responses },
    only,
  };
}
