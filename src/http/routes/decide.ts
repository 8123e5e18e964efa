import type { RequestHandler, Response } from 'express';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import type { DecideService } from '../../services/decide.js';
import { decideRequest, etagOf, matches, renderHandshake, serverTiming, withGeneratedAt } from '../handshake-body.js';

/**
 * Sends `payload` as JSON with a strong ETag; answers 304 when If-None-Match matches.
 * Used by OFREP's bulk evaluation.
 */
export function sendWithEtag(res: Response, ifNoneMatch: string | undefined, payload: object): void {
  const json = JSON.stringify(payload);
  const etag = etagOf(json);
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'private, no-cache');
  if (matches(ifNoneMatch, etag)) {
    res.status(304).end();
    return;
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.send(json);
}

/**
 * `POST /v1/decide` through express: the path for bodies the fast path leaves to express
 * (gzip, other content types). Same answers as src/http/fast/decide-fast.ts.
 */
export function decideRoutes(deps: { decide: DecideService; rateLimit: RequestHandler }): RouteModule {
  return (app, auth) => {
    app.post('/v1/decide', jsonBody('256kb'), deps.rateLimit, auth.requireProjectToken, async (req, res) => {
      const outcome = await deps.decide.decide(decideRequest(req.project!.id, req.body));
      const { json, etag } = renderHandshake(outcome);
      res.setHeader('Server-Timing', serverTiming(outcome));
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'private, no-cache');
      if (matches(req.headers['if-none-match'], etag)) {
        res.status(304).end();
        return;
      }
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.send(withGeneratedAt(json, new Date()));
    });
  };
}
