import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AppError } from '../../errors.js';
import type { Metrics } from '../../metrics.js';
import type { DecideService } from '../../services/decide.js';
import type { ProjectDirectory } from '../../services/project-directory.js';
import { projectOfToken } from '../auth.js';
import { errorResponse } from '../edge/error-response.js';
import { decideRequest, handshakeResponse } from '../edge/handshake.js';
import { requestIdOf } from '../edge/request-id.js';
import { send } from '../edge/send.js';
import { projectToken, rateLimitKey } from '../edge/token.js';
import type { TokenLimits } from '../rate-limit.js';
import { readJson } from './read-json.js';

const JSON_TYPE = /^(application\/(.+\+)?json|text\/plain)\s*(;|$)/i;
const LIMIT = 256 * 1024;

/**
 * `POST /v1/decide` on node:http directly, ahead of express: the handshake is the hot path,
 * and express's router, body parser and response helpers cost more CPU than evaluating every
 * flag (docs/performance.md). It answers exactly as the express route (same auth, rate
 * limit, validation, error shape, ETag/304); bodies it does not handle (a Content-Encoding
 * such as gzip, another content type) are left to express by returning false.
 */
export function createFastDecide(deps: { decide: DecideService; directory: ProjectDirectory; limits: TokenLimits; logger: Logger; metrics: Metrics }) {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = requestIdOf(req.headers['x-request-id']);
    try {
      const body = await readJson(req, LIMIT);
      const token = projectToken(req.headers, body);
      if (!(await deps.limits.allow(rateLimitKey(token, req.socket.remoteAddress)))) {
        throw new AppError('rate_limited', `more than ${deps.limits.perSecond} requests per second for this token`, undefined, 1);
      }
      const project = await projectOfToken(deps.directory, token);
      const outcome = await deps.decide.decide(decideRequest(project.id, body));
      const r = handshakeResponse(outcome, req.headers['if-none-match'], new Date());
      send(res, { ...r, headers: { 'X-Request-Id': requestId, ...r.headers } });
    } catch (err) {
      const e = errorResponse(err, deps.logger);
      send(res, { status: e.status, headers: { 'X-Request-Id': requestId, ...e.headers }, body: e.body });
    }
    const seconds = (performance.now() - started) / 1e3;
    deps.metrics.httpDuration.observe({ method: 'POST', route: '/v1/decide', status: `${Math.floor(res.statusCode / 100)}xx` }, seconds);
    if (deps.logger.isLevelEnabled('debug')) deps.logger.debug({ req_id: requestId, method: 'POST', path: '/v1/decide', status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
  }

  /** Handles the request and returns true, or returns false to leave it to express. */
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    if (url !== '/v1/decide' && !url.startsWith('/v1/decide?')) return false;
    if (req.headers['content-encoding'] || !JSON_TYPE.test(req.headers['content-type'] ?? 'application/json')) return false;
    void handle(req, res);
    return true;
  };
}
