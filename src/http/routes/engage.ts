import type { Request, Response } from 'express';
import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { parse } from '../validate.js';
import { invalid } from '../../errors.js';
import { bodyErrors } from './events.js';
import type { PeopleService } from '../../services/people.js';
import type { EngageUpdate } from '../../services/person-operations.js';
import { LIMITS, checkDistinctId, isPlainObject } from '../../services/event-validation.js';

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
    $time: z.number().int().positive().optional(),
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

/** The People API (PRODUCT.md 4.2), project token. */
export function engageRoutes(deps: { people: Pick<PeopleService, 'apply'> }): RouteModule {
  const batch = z.array(update, { invalid_type_error: 'must be a list of updates' }).min(1, 'must contain at least 1 update').max(LIMITS.eventsPerBatch, `at most ${LIMITS.eventsPerBatch} updates per request`);
  return (app, auth) => {
    app.post('/v1/engage', jsonBody(LIMITS.eventBodyBytes), bodyErrors, auth.requireProjectToken, async (req: Request, res: Response) => {
      const { list, path } = updatesOf(req.body);
      // A single update's errors read `body.<field>`; batches read `body.updates[i].<field>`.
      const parsed = path ? parse(batch, list, path) : [parse(update, (list as unknown[])[0], 'body')];
      const result = await deps.people.apply(req.project!.id, parsed.map(toUpdate));
      const at = (i: number) => (path ? `${path}[${i}]` : 'body');
      res.json({
        applied: result.applied,
        rejected: result.rejected,
        errors: result.errors.map((e) => ({ index: e.index, field: e.field.startsWith('(') ? at(e.index) : `${at(e.index)}.${e.field}`, message: e.message })),
      });
    });
  };
}
