import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { AppError, invalid } from '../../errors.js';
import type { IngestService } from '../../services/ingest.js';
import { LIMITS, isPlainObject } from '../../services/event-validation.js';
import { noLimit } from '../rate-limit.js';
import { tracked, type WriteTracker } from './consistency-token.js';

const SHAPE = 'must be an event object, an array of events, or { "events": [ ... ] }';

/**
 * The three body forms of `POST /v1/events` -> the raw events and where their errors point:
 * one event (`body.<field>`), a top-level array (`body[i].<field>`), `{ events }`
 * (`body.events[i].<field>`). `token` (beacons) is not part of an event.
 */
function eventsOf(body: unknown): { raw: unknown[]; path: string[]; single: boolean } {
  if (Array.isArray(body)) return { raw: body, path: ['body'], single: false };
  if (!isPlainObject(body)) throw invalid(`body: ${SHAPE}`);
  const { token: _token, ...rest } = body;
  if ('events' in rest) {
    for (const key of Object.keys(rest)) if (key !== 'events') throw invalid(`body.${key}: unknown field next to "events"`);
    if (!Array.isArray(rest.events)) throw invalid('body.events: must be an array of events');
    return { raw: rest.events, path: ['body', 'events'], single: false };
  }
  return { raw: [rest], path: ['body'], single: true };
}

/**
 * Body errors the shared parser does not classify (a corrupt gzip body: zlib errors with
 * status 400) become a 400 naming the body instead of a 500.
 */
export const bodyErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  const e = err as { status?: number; expose?: boolean; type?: string; message?: string };
  if (!(err instanceof AppError) && !e.type && e.expose && e.status === 400) return next(invalid(`body: cannot decode (${e.message})`));
  next(err);
};

/** Event ingestion (PRODUCT.md 4.1), project token; 5 MB bodies, gzip accepted. */
export function eventRoutes(deps: { ingest: Pick<IngestService, 'ingest'>; rateLimit?: RequestHandler; consistency?: WriteTracker }): RouteModule {
  const limit = deps.rateLimit ?? noLimit;
  return (app, auth) => {
    app.post('/v1/events', jsonBody(LIMITS.eventBodyBytes, { items: true }), bodyErrors, auth.requireProjectToken, limit, async (req: Request, res: Response) => {
      const { raw, path, single } = eventsOf(req.body);
      const where = path.join('.');
      if (raw.length === 0) throw invalid(`${where}: must contain at least 1 event`);
      if (raw.length > LIMITS.eventsPerBatch) throw invalid(`${where}: at most ${LIMITS.eventsPerBatch} events per request (got ${raw.length})`);
      const projectId = req.project!.id;
      const { result, token } = await tracked(deps.consistency, projectId, res, () => deps.ingest.ingest(projectId, raw, { path, single }));
      res.json({ stored: result.stored, deduplicated: result.deduplicated, rejected: result.rejected, errors: result.errors, consistency_token: token });
    });
  };
}
