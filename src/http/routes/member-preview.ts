import express, { type Request } from 'express';
import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { parse } from '../validate.js';
import { AppError } from '../../errors.js';
import { cohortKeySchema } from '../../cohorts/cohort-definition.js';
import type { MemberUpload } from '../../services/static-members.js';
import type { UploadPreviewService } from '../../services/member-upload-preview.js';

const previewQuery = z.object({ mode: z.enum(['add', 'replace', 'remove']).default('add') });
const idList = z.object({ distinct_ids: z.array(z.unknown()).max(1_000_000) }).strict();

function upload(req: Request): MemberUpload {
  if (req.is('text/csv')) {
    if (typeof req.body !== 'string') throw new AppError('invalid_request', 'body: expected CSV text');
    return { kind: 'csv', text: req.body };
  }
  return { kind: 'json', ids: parse(idList, req.body ?? {}, 'body').distinct_ids };
}

/**
 * `POST /v1/projects/:project/cohorts/:key/members/preview?mode=add|replace|remove` (admin
 * key): the same bodies as `.../members` (JSON `{ distinct_ids }` or `text/csv` with a
 * distinct_id column), answered with the report the edit would give and nothing written
 * (UploadPreview in src/services/member-upload-preview.ts). Invalid rows come back in
 * `invalid` with their line; `would_refuse` says the edit would be refused whole.
 * 400: bad mode, unreadable CSV (with `details.line`); 404: no cohort; 409: dynamic cohort.
 */
export function memberPreviewRoutes(deps: { uploadPreview: UploadPreviewService; /** bytes (UPLOAD_MAX_BYTES, default 16 MiB) */ uploadMaxBytes?: number }): RouteModule {
  return (app, auth) => {
    const limit = deps.uploadMaxBytes ?? 16 * 1024 ** 2;
    const body = [jsonBody(limit), express.text({ type: 'text/csv', limit })];
    app.post('/v1/projects/:project/cohorts/:key/members/preview', ...body, auth.requireAdminProject, async (req, res) => {
      const key = parse(cohortKeySchema, req.params.key, 'key');
      const { mode } = parse(previewQuery, req.query, 'query');
      res.json(await deps.uploadPreview.preview(req.adminProject!.id, key, mode, upload(req)));
    });
  };
}
