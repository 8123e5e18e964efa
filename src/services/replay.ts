/**
 * Decision replay (issue 19, docs/history.md): what the handshake would have answered a
 * distinct id at a past instant, from the definitions, cohort states, membership, identity and
 * properties of that instant (the history tables), through the same snapshot build, input
 * assembly and core as the live handshake, with the full trace. It says when it cannot be
 * exact instead of guessing.
 */
import { decideAll, type DecideAllResult } from '../core/index.js';
import { notFound } from '../errors.js';
import type { HistoryReader } from '../ports/history-reader.js';
import { decisionInput } from './decision-input.js';
import { build } from './snapshots.js';

/** Why a replay may differ from what was served. */
export interface Inexact {
  code: 'before_history' | 'history_pruned' | 'membership_not_recorded' | 'in_the_future';
  message: string;
  /** the cohorts concerned (membership_not_recorded) */
  cohorts?: string[];
}

export interface ReplayResult {
  at: number;
  exact: boolean;
  inexact: Inexact[];
  person: { id: number; bucketing_key: string; properties: Record<string, unknown>; identified: boolean; resolved_by: 'distinct_id' | 'anon_id' } | null;
  bucketing_key: string;
  definitions: Array<{ kind: string; key: string; version: number }>;
  cohorts: Array<{ key: string; state: string; version: number; as_of: string | null; member: boolean | null }>;
  result: DecideAllResult;
}

export interface ReplayDeps {
  history: HistoryReader;
  now?: () => number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function createReplay(deps: ReplayDeps) {
  const now = deps.now ?? Date.now;
  // Compiled definitions by (kind, key, version), per project: a definition version never
  // changes, so replays at many instants compile each version once (as the live snapshots do).
  const compiled = new Map<number, Map<string, unknown>>();
  return {
    /** Throws not_found when the project does not exist. `at` is unix ms. */
    async replay(projectId: number, distinctId: string, at: number, opts: { anonId?: string | null } = {}): Promise<ReplayResult> {
      const past = await deps.history.stateAt(projectId, distinctId, opts.anonId ?? null, at);
      if (!past) throw notFound(`project ${projectId} not found`);
      const inexact: Inexact[] = [];
      if (at > now()) inexact.push({ code: 'in_the_future', message: 'the instant is in the future: this is what the handshake would answer now, if nothing changes' });
      if (at < past.historySince) {
        inexact.push({ code: 'before_history', message: `history of this project begins at ${iso(past.historySince)}; earlier changes were not recorded` });
      }
      if (past.prunedBefore !== null && at < past.prunedBefore) {
        inexact.push({ code: 'history_pruned', message: `history before ${iso(past.prunedBefore)} was removed by the retention setting` });
      }

      const previous = compiled.get(projectId) as Parameters<typeof build>[2];
      const { snap, compiledByKey } = build({ projectId, tier: past.tier, definitionsVersion: 0, definitions: past.definitions, cohorts: past.cohorts }, at, previous);
      const cache = (previous ?? new Map()) as Map<string, unknown>;
      for (const [k, v] of compiledByKey) cache.set(k, v);
      if (cache.size > 10_000) cache.clear(); // bounded: a project's definition versions within the retention
      compiled.set(projectId, cache);
      // A materialized cohort whose membership was not recorded at that instant reads as
      // unavailable (its rules are skipped, as in degraded mode), never as "not a member".
      const unknown = new Set(
        past.cohorts.filter((c) => (c.state === 'active' || c.state === 'paused') && !((past.cohortHistoryFrom.get(c.id) ?? Number.POSITIVE_INFINITY) <= at)).map((c) => c.key),
      );
      const unrecorded = snap.readCohorts.filter((c) => unknown.has(c.key)).map((c) => c.key);
      if (unrecorded.length) {
        inexact.push({ code: 'membership_not_recorded', message: 'membership of these cohorts was not recorded yet at that instant (they were materialized before history began)', cohorts: unrecorded });
      }
      const members = snap.readCohorts.map((c) => past.memberOf.has(c.id));
      const responses = snap.limitedSurveys.map((k) => past.surveyResponses.get(k) ?? 0);
      const person = past.person
        ? { personId: past.person.id, bucketingKey: past.person.bucketingKey, properties: past.person.properties, surveyHistory: past.person.surveyHistory }
        : { personId: null, bucketingKey: opts.anonId || distinctId, properties: {}, surveyHistory: { answered: [], lastShownAt: null } };
      const input = decisionInput(snap, { projectId, distinctId, anonId: opts.anonId ?? null, explain: true }, person, { members, responses }, at, undefined, unrecorded.length ? unrecorded : null);
      const result = decideAll(snap.core, input);
      return {
        at,
        exact: inexact.filter((i) => i.code !== 'in_the_future').length === 0,
        inexact,
        person: past.person
          ? { id: past.person.id, bucketing_key: past.person.bucketingKey, properties: past.person.properties, identified: past.person.identified, resolved_by: past.person.via }
          : null,
        bucketing_key: person.bucketingKey,
        definitions: past.definitions.map((d) => ({ kind: d.kind, key: d.key, version: d.version })).sort((a, b) => (a.kind + a.key < b.kind + b.key ? -1 : 1)),
        cohorts: past.cohorts
          .map((c) => ({ key: c.key, state: c.state, version: c.version, as_of: iso(c.asOf), member: unknown.has(c.key) ? null : past.memberOf.has(c.id) }))
          .sort((a, b) => (a.key < b.key ? -1 : 1)),
        result,
      };
    },
  };
}

export type Replay = ReturnType<typeof createReplay>;
