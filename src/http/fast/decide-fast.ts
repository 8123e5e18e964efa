import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AppError } from '../../errors.js';
import type { Metrics } from '../../metrics.js';
import type { DecideService } from '../../services/decide.js';
import type { ProjectDirectory } from '../../services/project-directory.js';
import { projectOfToken } from '../auth.js';
import { STATUS } from '../errors.js';
import type { TokenLimits } from '../rate-limit.js';
import { decideRequest, matches, renderHandshake, serverTiming, withGeneratedAt } from '../handshake-body.js';
import { readJson } from './read-json.js';

const JSON_TYPE = /^(application\/(.+\+)?json|text\/plain)\s*(;|$)/i;
const LIMIT = 256 * 1024;

function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: string): void {
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * `POST /v1/decide` on node:http directly, ahead of express: the handshake is the hot path,
 * and express's router, body parser and response helpers cost more CPU than evaluating every
 * flag (docs/performance.md). It answers exactly as the express route (same auth, rate
 * limit, validation, error shape, ETag/304); bodies it does not handle (a Content-Encoding
 * such as gzip, another content type) are left to express by returning false.
 */
export function createFastDecide(deps: { decide: DecideService; directory: ProjectDirectory; limits: TokenLimits; logger: Logger; metrics: Metrics }) {
  const fail = (res: ServerResponse, base: Record<string, string>, err: unknown) => {
    let app = err instanceof AppError ? err : null;
    if (!app) {
      deps.logger.error({ err }, 'unhandled error');
      app = new AppError('internal', 'internal error');
    }
    if (app.retryAfterS !== undefined) base['Retry-After'] = String(app.retryAfterS);
    base['Content-Type'] = 'application/json; charset=utf-8';
    const error: Record<string, unknown> = { code: app.code, message: app.message };
    if (app.details !== undefined) error.details = app.details;
    send(res, STATUS[app.code], base, JSON.stringify({ error }));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const incoming = req.headers['x-request-id'];
    const headers: Record<string, string> = { 'X-Request-Id': typeof incoming === 'string' && incoming.length <= 128 ? incoming : randomUUID() };
    try {
      const body = await readJson(req, LIMIT);
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : typeof (body as { token?: unknown })?.token === 'string' ? (body as { token: string }).token : undefined;
      if (!(await deps.limits.allow(token ?? `ip:${req.socket.remoteAddress ?? 'unknown'}`))) {
        throw new AppError('rate_limited', `more than ${deps.limits.perSecond} requests per second for this token`, undefined, 1);
      }
      const project = await projectOfToken(deps.directory, token);

      const outcome = await deps.decide.decide(decideRequest(project.id, body));
      const { json, etag } = renderHandshake(outcome);
      headers['Server-Timing'] = serverTiming(outcome);
      headers.ETag = etag;
      headers['Cache-Control'] = 'private, no-cache';
      if (matches(req.headers['if-none-match'], etag)) {
        send(res, 304, headers);
      } else {
        headers['Content-Type'] = 'application/json; charset=utf-8';
        send(res, 200, headers, withGeneratedAt(json, new Date()));
      }
    } catch (err) {
      fail(res, headers, err);
    }
    const seconds = (performance.now() - started) / 1e3;
    deps.metrics.httpDuration.observe({ method: 'POST', route: '/v1/decide', status: `${Math.floor(res.statusCode / 100)}xx` }, seconds);
    if (deps.logger.isLevelEnabled('debug')) deps.logger.debug({ req_id: headers['X-Request-Id'], method: 'POST', path: '/v1/decide', status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
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
