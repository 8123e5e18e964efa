import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import type { DecideService } from '../../services/decide.js';
import { consistencyAsk, freshnessFor, type ConsistencyReads } from '../edge/consistency.js';
import { decideRequest, handshakeResponse } from '../edge/handshake.js';
import { send } from '../edge/send.js';

/**
 * `POST /v1/decide` through express: the path for bodies the fast path leaves to express
 * (gzip, other content types). The same answers as http/fast/decide-fast.ts: both render
 * through edge/handshake.ts.
 */
export function decideRoutes(deps: { decide: DecideService; reads?: ConsistencyReads }): RouteModule {
  return (app, auth) => {
    app.post('/v1/decide', jsonBody('256kb'), auth.requireProjectToken, async (req, res) => {
      const question = decideRequest(req.project!.id, req.body);
      const ask = deps.reads ? consistencyAsk(req.project!.id, req.headers, req.originalUrl, req.body, deps.reads) : null;
      const freshness = ask ? await freshnessFor(deps.reads, ask) : null;
      const outcome = await deps.decide.decide(question);
      send(res, handshakeResponse(outcome, req.headers['if-none-match'], new Date(), freshness));
    });
  };
}
