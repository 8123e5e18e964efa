/**
 * History reads (admin key; docs/history.md):
 * - `GET /v1/projects/:project/cohorts/:key/changes?since=&until=&cursor=&limit=`: who entered
 *   and left the cohort, oldest first: `{ data: [{ kind: 'entered'|'left', at, person_id,
 *   distinct_id, version, via }], next_cursor }`. `since` / `until` are ISO 8601 or unix ms
 *   (defaults: the beginning, now); `limit` 1..1000 (default 100). 404 for an unknown cohort.
 * - `GET /v1/projects/:project/persons/:distinct_id/decisions?at=&anon_id=`: replay, what the
 *   handshake would have answered at `at` (ISO 8601 or unix ms; required), with each
 *   decision's trace under `traces`, the inputs of that instant, and `exact` / `inexact`.
 */
import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { parse } from '../validate.js';
import type { HistoryRead } from '../../services/history-read.js';
import type { Replay } from '../../services/replay.js';
import type { DecideAllResult } from '../../core/index.js';

/** An instant: ISO 8601 with a time zone, or unix ms (digits). */
export const instant = z.string().transform((s, ctx) => {
  const ms = /^\d{1,15}$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(s) ? Date.parse(s) : Number.NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an ISO 8601 time (e.g. 2026-12-01T14:02:00Z) or unix ms' });
    return z.NEVER;
  }
  return ms;
});

const cohortKey = z.string().min(1).max(200);

/** `<at ms>.<id>.<e|l>`: the last entry of the previous page. */
const changeCursor = z.string().transform((s, ctx) => {
  const m = /^(\d{1,15})\.(\d{1,15})\.([el])$/.exec(s);
  if (!m) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a cursor returned by a previous page' });
    return z.NEVER;
  }
  return { at: Number(m[1]), id: Number(m[2]), kind: m[3] === 'e' ? ('entered' as const) : ('left' as const) };
});

const changesQuery = z.object({
  since: instant.optional(),
  until: instant.optional(),
  cursor: changeCursor.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const replayQuery = z.object({
  at: instant,
  anon_id: z.string().min(1).max(200).optional(),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** The decisions without their traces (as the handshake renders them), and the traces apart. */
function split(r: DecideAllResult) {
  const traces: Record<string, Record<string, unknown>> = { flags: {}, configs: {}, surveys: {} };
  const strip = <T extends { trace?: unknown }>(kind: string, key: string, d: T): Omit<T, 'trace'> => {
    const { trace, ...rest } = d;
    if (trace !== undefined) traces[kind][key] = trace;
    return rest;
  };
  return {
    flags: Object.fromEntries(Object.entries(r.flags).map(([k, d]) => [k, strip('flags', k, d)])),
    configs: Object.fromEntries(Object.entries(r.configs).map(([k, d]) => [k, strip('configs', k, d)])),
    surveys: r.surveys.map((s) => strip('surveys', s.key, s)),
    ineligible_surveys: r.ineligible_surveys ?? [],
    traces,
  };
}

export function historyRoutes(deps: { history: HistoryRead; replay: Replay }): RouteModule {
  return (app, auth) => {
    app.get('/v1/projects/:project/cohorts/:key/changes', auth.requireAdminProject, async (req, res) => {
      const key = parse(cohortKey, req.params.key, 'key');
      const q = parse(changesQuery, req.query, 'query');
      const until = q.until ?? Date.now();
      const rows = await deps.history.changes(req.adminProject!.id, key, { since: q.since ?? 0, until, after: q.cursor ?? null, limit: q.limit });
      const last = rows[rows.length - 1];
      res.json({
        data: rows.map((c) => ({ kind: c.kind, at: iso(c.at), person_id: c.personId, distinct_id: c.distinctId, version: c.version, via: c.via })),
        next_cursor: rows.length === q.limit && last ? `${last.at}.${last.id}.${last.kind === 'entered' ? 'e' : 'l'}` : null,
      });
    });

    app.get('/v1/projects/:project/persons/:distinct_id/decisions', auth.requireAdminProject, async (req, res) => {
      const q = parse(replayQuery, req.query, 'query');
      const distinctId = String(req.params.distinct_id);
      const r = await deps.replay.replay(req.adminProject!.id, distinctId, q.at, { anonId: q.anon_id ?? null });
      res.json({
        distinct_id: distinctId,
        at: iso(r.at),
        exact: r.exact,
        inexact: r.inexact,
        person: r.person,
        bucketing_key: r.bucketing_key,
        ...split(r.result),
        inputs: { definitions: r.definitions, cohorts: r.cohorts },
      });
    });
  };
}
