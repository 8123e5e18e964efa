/**
 * The fast path's request plumbing, shared by its routes (the handshake, OFREP): request id,
 * CORS for browser SDKs (edge/cors.ts), writing the EdgeResponse, the request-duration metric
 * and the debug request line. Same headers and metrics as the express app (http/app.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from '../../metrics.js';
import { corsHeaders } from '../edge/cors.js';
import type { EdgeResponse } from '../edge/handshake.js';
import { requestIdOf } from '../edge/request-id.js';
import { send } from '../edge/send.js';

export interface FastDeps {
  logger: Logger;
  metrics: Metrics;
}

const NONE: Record<string, string> = {};

/**
 * Answers `req` with what `answer` resolves to (it must not throw: it turns errors into
 * answers itself), labelled `route` in metrics and logs.
 */
export async function serveFast(deps: FastDeps, req: IncomingMessage, res: ServerResponse, route: string, answer: () => Promise<EdgeResponse>): Promise<void> {
  const started = performance.now();
  const requestId = requestIdOf(req.headers['x-request-id']);
  const r = await answer();
  const cors = req.headers.origin && !r.noCors ? corsHeaders(req.url ?? '', req.headers) : NONE;
  send(res, { status: r.status, headers: { 'X-Request-Id': requestId, ...cors, ...r.headers }, body: r.body });
  const seconds = (performance.now() - started) / 1e3;
  deps.metrics.httpDuration.observe({ method: 'POST', route, status: `${Math.floor(res.statusCode / 100)}xx` }, seconds);
  if (deps.logger.isLevelEnabled('debug')) deps.logger.debug({ req_id: requestId, method: req.method, path: route, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
}
