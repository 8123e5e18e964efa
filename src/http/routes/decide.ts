import type { RequestHandler } from 'express';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import type { DecideService } from '../../services/decide.js';
import { decideRequest, handshakeResponse } from '../edge/handshake.js';
import { send } from '../edge/send.js';

/**
 * `POST /v1/decide` through express: the path for bodies the fast path leaves to express
 * (gzip, other content types). The same answers as http/fast/decide-fast.ts: both render
 * through edge/handshake.ts.
 */
export function decideRoutes(deps: { decide: DecideService; rateLimit: RequestHandler }): RouteModule {
  return (app, auth) => {
    app.post('/v1/decide', jsonBody('256kb'), deps.rateLimit, auth.requireProjectToken, async (req, res) => {
      const outcome = await deps.decide.decide(decideRequest(req.project!.id, req.body));
      send(res, handshakeResponse(outcome, req.headers['if-none-match'], new Date()));
    });
  };
}
