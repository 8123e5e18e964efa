import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { parse, zodIssues } from '../validate.js';
import { checkJson, inspectJson } from '../edge/request-guard.js';
import { invalid } from '../../errors.js';
import { bodyErrors } from './events.js';
import type { PeopleService } from '../../services/people.js';
import type { EngageUpdate } from '../../services/person-operations.js';
import { LIMITS, checkDistinctId, isPlainObject } from '../../services/event-validation.js';
import { noLimit } from '../rate-limit.js';
import { tracked, type WriteTracker } from './consistency-token.js';

const distinctId = z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).superRefine((s, ctx) => {
  const problem = checkDistinctId(s);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});
const object = z.record(z.unknown(), { invalid_type_error: 'must be a JSON object' });
const OPS = ['$set', '$set_once', '$add', '$unset', '$append', '$union', '$remove', '$delete'] as const;

/** One Mixpanel-compatible update; `$token`, `$ip`, `$ignore_time` are accepted and ignored. */
const update = z
  .object({
    distinct_id: distinctId,
    $set: object.optional(),
    $set_once: object.optional(),
    $add: z.record(z.number({ invalid_type_error: 'must be a number' }).finite(), { invalid_type_error: 'must be a JSON object' }).optional(),
    $unset: z.array(z.string({ invalid_type_error: 'must be a string' }), { invalid_type_error: 'must be a list of property names' }).optional(),
    $append: object.optional(),
    $union: z.record(z.array(z.unknown(), { invalid_type_error: 'must be a list' }), { invalid_type_error: 'must be a JSON object' }).optional(),
    $remove: object.optional(),
    $delete: z.union([z.literal(true), z.literal(''), z.null()], { errorMap: () => ({ message: 'must be true, "" or null' }) }).optional(),
    $time: z.number().int().positive().max(8_640_000_000_000_000).optional(),
    $token: z.string().optional(),
    $ip: z.string().optional(),
    $ignore_time: z.boolean().optional(),
  })
  .strict()
  .superRefine((u, ctx) => {
    const ops = OPS.filter((op) => u[op] !== undefined);
    if (ops.length === 0) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must contain an operation (${OPS.join(', ')})` });
    if (ops.includes('$delete') && ops.length > 1) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['$delete'], message: 'cannot be combined with other operations' });
  });

const toUpdate = (u: z.infer<typeof update>): EngageUpdate => ({
  distinctId: u.distinct_id,
  set: u.$set, setOnce: u.$set_once, add: u.$add, unset: u.$unset, append: u.$append, union: u.$union, remove: u.$remove,
  delete: u.$delete !== undefined ? true : undefined,
  time: u.$time,
});

/** Body forms: one update, a top-level array, or `{ updates: [...] }` (plus `token` for beacons). */
function updatesOf(body: unknown): { list: unknown; path: string } {
  if (Array.isArray(body)) return { list: body, path: 'body' };
  if (!isPlainObject(body)) throw invalid('body: must be an update object, an array of updates, or { "updates": [ ... ] }');
  if ('updates' in body) {
    for (const key of Object.keys(body)) if (key !== 'updates' && key !== 'token') throw invalid(`body.${key}: unknown field next to "updates"`);
    return { list: body.updates, path: 'body.updates' };
  }
  const { token: _token, ...single } = body;
  return { list: [single], path: '' };
}

/** The first problem of one update as `{ field (full path), message }`, or null when it is valid. */
function problemOf(raw: unknown, at: string): { field: string; message: string } | null {
  const unsafe = inspectJson(raw, at, 32);
  if (unsafe) return { field: unsafe.path, message: unsafe.message };
  const r = update.safeParse(raw);
  if (r.success) return null;
  const issue = zodIssues(r.error, [at])[0];
  return { field: issue.path, message: issue.message };
}

/**
 * The People API (PRODUCT.md 4.2), project token. A single update that is invalid is a 400
 * naming the field. In a batch each invalid update is reported by index and the valid ones
 * apply, as events do: nothing valid is lost because a neighbour was invalid.
 */
export function engageRoutes(deps: { people: Pick<PeopleService, 'apply'>; rateLimit?: RequestHandler; consistency?: WriteTracker }): RouteModule {
  const limit = deps.rateLimit ?? noLimit;
  const batch = z.array(z.unknown(), { invalid_type_error: 'must be a list of updates' }).min(1, 'must contain at least 1 update').max(LIMITS.eventsPerBatch, `at most ${LIMITS.eventsPerBatch} updates per request`);
  return (app, auth) => {
    app.post('/v1/engage', jsonBody(LIMITS.eventBodyBytes, { items: true }), bodyErrors, auth.requireProjectToken, limit, async (req: Request, res: Response) => {
      const { list, path } = updatesOf(req.body);
      if (!path) {
        checkJson(list, 'body');
        const single = parse(update, (list as unknown[])[0], 'body');
        const projectId = req.project!.id;
        const { result, token } = await tracked(deps.consistency, projectId, res, () => deps.people.apply(projectId, [toUpdate(single)]));
        res.json({ applied: result.applied, rejected: result.rejected, errors: result.errors.map((e) => ({ index: e.index, field: e.field.startsWith('(') ? 'body' : `body.${e.field}`, message: e.message })), consistency_token: token });
        return;
      }
      const items = parse(batch, list, path);
      const at = (i: number) => `${path}[${i}]`;
      const errors: Array<{ index: number; field: string; message: string }> = [];
      const valid: Array<{ index: number; update: EngageUpdate }> = [];
      items.forEach((raw, index) => {
        const problem = problemOf(raw, at(index));
        if (problem) errors.push({ index, ...problem });
        else valid.push({ index, update: toUpdate(update.parse(raw)) });
      });
      const projectId = req.project!.id;
      const none = { result: { applied: 0, rejected: 0, errors: [] as Array<{ index: number; field: string; message: string }> }, token: null };
      const { result, token } = valid.length ? await tracked(deps.consistency, projectId, res, () => deps.people.apply(projectId, valid.map((v) => v.update))) : none;
      for (const e of result.errors) {
        const index = valid[e.index].index;
        errors.push({ index, field: e.field.startsWith('(') ? at(index) : `${at(index)}.${e.field}`, message: e.message });
      }
      errors.sort((a, b) => a.index - b.index);
      res.json({ applied: result.applied, rejected: items.length - result.applied, errors, consistency_token: token });
    });
  };
}
