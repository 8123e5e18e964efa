import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { parse } from '../validate.js';
import type { AliasService } from '../../services/alias.js';
import { checkDistinctId } from '../../services/event-validation.js';
import { noLimit } from '../rate-limit.js';
import { tracked, type WriteTracker } from './consistency-token.js';

const distinctId = z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).superRefine((s, ctx) => {
  const problem = checkDistinctId(s);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});

const aliasBody = z.object({ distinct_id: distinctId, alias: distinctId, token: z.string().optional() }).strict();

/** `POST /v1/alias` (PRODUCT.md 4.3), project token: `{ distinct_id: <identified>, alias: <anonymous> }`. */
export function aliasRoutes(deps: { alias: Pick<AliasService, 'alias'>; rateLimit?: RequestHandler; consistency?: WriteTracker }): RouteModule {
  const limit = deps.rateLimit ?? noLimit;
  return (app, auth) => {
    app.post('/v1/alias', jsonBody('16kb'), auth.requireProjectToken, limit, async (req, res) => {
      const body = parse(aliasBody, req.body, 'body');
      const projectId = req.project!.id;
      const { result: r, token } = await tracked(deps.consistency, projectId, res, () => deps.alias.alias(projectId, body.distinct_id, body.alias));
      res.json({ person_id: r.personId, distinct_ids: r.distinctIds, bucketing_key: r.bucketingKey, merged: r.merged, consistency_token: token });
    });
  };
}
