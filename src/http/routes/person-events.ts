import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { parse } from '../validate.js';
import { notFound } from '../../errors.js';
import type { ConsoleReads, StoredEvent } from '../../ports/console-reads.js';

const eventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  cursor: z
    .string()
    .regex(/^\d+_\d+$/, 'must be a cursor returned by a previous page')
    .transform((c) => ({ time: Number(c.split('_')[0]), id: Number(c.split('_')[1]) }))
    .optional(),
});

const eventBody = (e: StoredEvent) => ({ id: e.id, event: e.event, distinct_id: e.distinctId, time: new Date(e.time).toISOString(), properties: e.properties });

/**
 * `GET /v1/projects/:project/persons/:distinct_id/events?limit=20&cursor=` (admin key): the
 * person's last events over all its distinct ids, newest first:
 * `{ data: [{ id, event, distinct_id, time (ISO), properties }], next_cursor }`.
 * 404 when no person holds the id; 400 for a bad limit or cursor.
 */
export function personEventRoutes(deps: { reads: Pick<ConsoleReads, 'distinctIdsOfHolder' | 'lastEvents'> }): RouteModule {
  return (app, auth) => {
    app.get('/v1/projects/:project/persons/:distinct_id/events', auth.requireAdminProject, async (req, res) => {
      const q = parse(eventsQuery, req.query, 'query');
      const projectId = req.adminProject!.id;
      const distinctId = String(req.params.distinct_id);
      const ids = await deps.reads.distinctIdsOfHolder(projectId, distinctId);
      if (!ids) throw notFound(`person with distinct_id ${JSON.stringify(distinctId)} not found`);
      const rows = await deps.reads.lastEvents(projectId, ids, { limit: q.limit, before: q.cursor });
      const last = rows[rows.length - 1];
      res.json({ data: rows.map(eventBody), next_cursor: rows.length === q.limit ? `${last.time}_${last.id}` : null });
    });
  };
}
