import type { Request, Response } from 'express';
import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { projectOfToken } from '../auth.js';
import { distinctIdSchema } from '../distinct-id.js';
import { checkOrigin } from '../edge/cors.js';
import { handshakeResponse } from '../edge/handshake.js';
import { bearerToken, ofrepToken } from '../edge/token.js';
import type { ProjectDirectory } from '../../services/project-directory.js';
import { AppError } from '../../errors.js';
import { parse } from '../validate.js';
import type { StreamHub } from '../stream/hub.js';

/** Where the OFREP change stream is served (advertised in OFREP bulk answers, edge/ofrep.ts). */
export const OFREP_STREAM_PATH = '/ofrep/v1/stream';

const streamQuery = z.object({
  distinct_id: distinctIdSchema,
  anon_id: distinctIdSchema.optional(),
  token: z.string().optional(),
  last_event_id: z.string().max(100).optional(),
});

/** SSE headers; `retry` tells EventSource to reconnect after 3 s. */
function openSse(req: Request, res: Response): void {
  req.socket.setNoDelay(true);
  req.socket.setKeepAlive(true, 30_000);
  req.socket.setTimeout(0);
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.write('retry: 3000\n\n');
}

/**
 * `GET /v1/stream?distinct_id=…&anon_id=…` (docs/stream.md): Server-Sent Events for one person.
 * The project token comes as `Authorization: Bearer` or `token=` (EventSource cannot send
 * headers). First event `handshake` (the `POST /v1/decide` answer), then `decisions` with only
 * what changed; `Last-Event-ID` (or `last_event_id=`) resumes. 503 past `maxStreams` open
 * streams in this process.
 *
 * `GET /ofrep/v1/stream`: the OFREP change stream (OFREP ADR-0008): `refetchEvaluation`
 * messages when the project's decisions may have changed.
 */
export function streamRoutes(deps: { hub: StreamHub; directory: ProjectDirectory; maxStreams: number }): RouteModule {
  const full = () => {
    if (deps.hub.size() >= deps.maxStreams) throw new AppError('unavailable', `this process holds ${deps.maxStreams} streams; retry (another replica may take it)`, undefined, 5);
  };
  return (app) => {
    app.get('/v1/stream', async (req, res) => {
      const q = parse(streamQuery, req.query, 'query');
      const project = await projectOfToken(deps.directory, bearerToken(req.headers.authorization) ?? q.token);
      checkOrigin(project, req.headers);
      full();
      const header = req.headers['last-event-id'];
      const lastEventId = (typeof header === 'string' && header.length <= 100 ? header : undefined) ?? q.last_event_id ?? null;
      let unregister: (() => void) | null = null;
      let opened = false;
      res.on('close', () => unregister?.());
      // The first event needs a decision: errors before it answer as JSON, like the handshake.
      unregister = await deps.hub.open(
        {
          projectId: project.id,
          distinctId: q.distinct_id,
          anonId: q.anon_id ?? null,
          write: (chunk) => {
            if (!opened) {
              openSse(req, res);
              opened = true;
            }
            return res.write(chunk);
          },
          buffered: () => res.writableLength,
          close: () => res.end(),
        },
        lastEventId,
        (o) => handshakeResponse(o, undefined, new Date()).body!,
      );
      if (!opened) {
        openSse(req, res);
        opened = true;
      }
      if (res.destroyed) unregister();
    });

    app.get(OFREP_STREAM_PATH, async (req, res) => {
      const token = ofrepToken(req.headers) ?? (typeof req.query.token === 'string' ? req.query.token : undefined);
      const project = await projectOfToken(deps.directory, token);
      checkOrigin(project, req.headers);
      full();
      openSse(req, res);
      const unregister = deps.hub.openOfrep({ projectId: project.id, write: (chunk) => res.write(chunk), close: () => res.end() });
      res.on('close', unregister);
    });
  };
}
