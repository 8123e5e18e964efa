import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DecideService } from '../../services/decide.js';
import type { ProjectDirectory } from '../../services/project-directory.js';
import { projectOfToken } from '../auth.js';
import { checkOrigin, OriginRefused } from '../edge/cors.js';
import { errorResponse } from '../edge/error-response.js';
import { consistencyAsk, freshnessFor, type ConsistencyReads } from '../edge/consistency.js';
import { decideRequest, handshakeResponse, type EdgeResponse } from '../edge/handshake.js';
import { checkJson, checkUrl } from '../edge/request-guard.js';
import { projectToken } from '../edge/token.js';
import { readJson } from './read-body.js';
import { serveFast, type FastDeps } from './serve-fast.js';

const JSON_TYPE = /^(application\/(.+\+)?json|text\/plain)\s*(;|$)/i;
const LIMIT = 256 * 1024;

/**
 * `POST /v1/decide` on node:http directly, ahead of express: the handshake is the hot path,
 * and express's router, body parser and response helpers cost more CPU than evaluating every
 * flag (docs/performance.md). It answers exactly as the express route (same auth, rate
 * limit, validation, error shape, ETag/304); bodies it does not handle (a Content-Encoding
 * such as gzip, another content type) are left to express by returning false.
 */
export function createFastDecide(deps: FastDeps & { decide: DecideService; directory: ProjectDirectory; reads?: ConsistencyReads }) {
  async function answer(req: IncomingMessage): Promise<EdgeResponse> {
    try {
      checkUrl(req.url ?? '');
      const body = await readJson(req, LIMIT);
      checkJson(body);
      // The rate limit is counted inside the handshake's one Redis call (services/decide.ts).
      const project = await projectOfToken(deps.directory, projectToken(req.headers, body));
      checkOrigin(project, req.headers);
      const question = decideRequest(project.id, body);
      // Read-your-writes: with a consistency token, wait (bounded) for its write first.
      const ask = deps.reads ? consistencyAsk(project.id, req.headers, req.url, body, deps.reads) : null;
      const freshness = ask ? await freshnessFor(deps.reads, ask) : null;
      const outcome = await deps.decide.decide(question);
      return handshakeResponse(outcome, req.headers['if-none-match'], new Date(), freshness);
    } catch (err) {
      return { ...errorResponse(err, deps.logger), noCors: err instanceof OriginRefused };
    }
  }

  /** Handles the request and returns true, or returns false to leave it to express. */
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    if (url !== '/v1/decide' && !url.startsWith('/v1/decide?')) return false;
    if (req.headers['content-encoding'] || !JSON_TYPE.test(req.headers['content-type'] ?? 'application/json')) return false;
    void serveFast(deps, req, res, '/v1/decide', () => answer(req));
    return true;
  };
}
