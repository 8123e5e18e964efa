import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { idParam, page, parsePage } from '../pagination.js';
import { parse } from '../validate.js';
import type { ImportJobs } from '../../import/import-jobs.js';

const uploadQuery = z
  .object({
    kind: z.enum(['events', 'static_members']).optional(),
    cohort: z.string().min(1).max(200).optional(),
    format: z.enum(['csv', 'ndjson']).optional(),
    mapping: z.string().max(100).optional(),
  })
  .strict();

/**
 * Import jobs (docs/imports.md):
 *   POST /v1/projects/:project/imports?format=csv|ndjson&mapping=<name>   body: the file (streamed;
 *        `Content-Encoding: gzip` or a gzip body kept compressed) -> 202 { id, state, counts, … }
 *   POST /v1/projects/:project/imports?kind=static_members&cohort=<key>&format=csv|ndjson   a static
 *        cohort's members (a distinct_id column / field) -> 202 the job
 *        Over IMPORT_MAX_BYTES: 413 naming the limit (the job, if one was made, is failed with it).
 *   GET  /v1/projects/:project/imports            -> { data, next_cursor }
 *   GET  /v1/projects/:project/imports/:id        -> the job with counts and `errors` (first 1,000 failed rows)
 *   POST /v1/projects/:project/imports/:id/cancel -> the job (stops after the batch in flight)
 */
export function importRoutes(deps: { jobs: ImportJobs }): RouteModule {
  return (app, auth) => {
    const base = '/v1/projects/:project/imports';
    app.post(base, auth.requireAdminProject, async (req, res) => {
      const q = parse(uploadQuery, req.query, 'query');
      const gzip = req.headers['content-encoding'] === 'gzip' || req.headers['content-type'] === 'application/gzip';
      const length = Number(req.headers['content-length']);
      try {
        const job = await deps.jobs.upload(
          req.adminProject!.id,
          req.admin!.actor,
          { kind: q.kind, cohort: q.cohort, format: q.format, mapping: q.mapping, gzip, declaredBytes: Number.isFinite(length) ? length : undefined },
          req,
        );
        res.status(202).json(job);
      } catch (err) {
        // the rest of a refused body is not read: close the connection after the answer
        if (!req.complete) res.setHeader('Connection', 'close');
        throw err;
      }
    });
    app.get(base, auth.requireAdminProject, async (req, res) => {
      const q = parsePage(req.query);
      const rows = await deps.jobs.list(req.adminProject!.id, { beforeId: q.cursor, limit: q.limit });
      res.json(page(rows, q.limit, (r) => r.id));
    });
    app.get(`${base}/:id`, auth.requireAdminProject, async (req, res) => {
      res.json(await deps.jobs.get(req.adminProject!.id, parse(idParam, req.params.id, 'id')));
    });
    app.post(`${base}/:id/cancel`, auth.requireAdminProject, async (req, res) => {
      res.json(await deps.jobs.cancel(req.adminProject!.id, parse(idParam, req.params.id, 'id')));
    });
  };
}
