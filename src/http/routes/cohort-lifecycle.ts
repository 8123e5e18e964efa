import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { page, parsePage } from '../pagination.js';
import { parse } from '../validate.js';
import { USER_ACTIONS, type UserAction } from '../../cohorts/lifecycle.js';
import type { Calculation, CohortLifecycle, CohortStatus } from '../../services/cohort-lifecycle.js';

const cohortKey = z.string().min(1).max(200);

/** The response shape of a lifecycle action (snake_case API, times ISO). */
const statusBody = (s: CohortStatus) => ({
  id: s.id,
  key: s.key,
  name: s.name,
  kind: s.kind,
  state: s.state,
  version: s.version,
  pending_version: s.pendingVersion,
  member_count: s.memberCount,
  last_calculated_at: s.lastCalculatedAt,
  errors_calculating: s.errorsCalculating,
  last_error_at: s.lastErrorAt,
  last_error_code: s.lastErrorCode,
  last_error_message: s.lastErrorMessage,
  next_run_at: s.nextRunAt,
  archived_at: s.archivedAt,
  referenced_by: s.referencedBy,
});

const calculationBody = (c: Calculation) => ({
  id: c.id,
  version: c.version,
  worker: c.worker,
  started_at: c.startedAt,
  finished_at: c.finishedAt,
  duration_ms: c.durationMs,
  member_count: c.memberCount,
  error_code: c.errorCode,
  error_message: c.errorMessage,
  stats: c.stats,
});

/**
 * `POST /v1/projects/:project/cohorts/:key/{pause,resume,archive,restore}` (200 with the
 * cohort's state, 409 `{ state, allowed }` when the lifecycle refuses) and
 * `GET .../cohorts/:key/calculations` (refresh history, newest first, paginated).
 */
export function cohortLifecycleRoutes(deps: { lifecycle: CohortLifecycle }): RouteModule {
  const { lifecycle } = deps;
  return (app, auth) => {
    for (const action of USER_ACTIONS) {
      app.post(`/v1/projects/:project/cohorts/:key/${action}`, auth.requireAdminProject, async (req, res) => {
        const key = parse(cohortKey, req.params.key, 'key');
        const status = await lifecycle.apply(req.admin!, req.adminProject!.id, key, action as UserAction);
        res.json(statusBody(status));
      });
    }
    app.get('/v1/projects/:project/cohorts/:key/calculations', auth.requireAdminProject, async (req, res) => {
      const key = parse(cohortKey, req.params.key, 'key');
      const q = parsePage(req.query);
      const rows = await lifecycle.calculations(req.adminProject!.id, key, { beforeId: q.cursor, limit: q.limit });
      res.json(page(rows.map(calculationBody), q.limit, (c) => c.id));
    });
  };
}
