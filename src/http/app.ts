import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Auth } from './auth.js';
import { checkJson, checkUrl } from './edge/request-guard.js';
import { requestIdOf } from './edge/request-id.js';
import { corsHeaders, preflight } from './edge/cors.js';
import { send } from './edge/send.js';
import { errorHandler, notFoundHandler } from './errors.js';

/** A route module adds its routes to the app; it receives the auth middlewares. */
export type RouteModule = (app: Router, auth: Auth) => void;

export interface HttpDeps {
  logger: Logger;
  metrics: Metrics;
  auth: Auth;
  routes: RouteModule[];
}

// Decision endpoints are hot: their per-request log lines go to debug.
const QUIET = /^\/(v1\/decide|ofrep\/|healthz|readyz|metrics)/;

/** Builds the express app; it never listens (main.ts and tests do). */
export function createApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    req.requestId = requestIdOf(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', req.requestId);
    req.log = deps.logger.child({ req_id: req.requestId });
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      deps.metrics.httpDuration.observe({ method: req.method, route, status: `${Math.floor(res.statusCode / 100)}xx` }, seconds);
      const level = QUIET.test(req.path) && res.statusCode < 500 ? 'debug' : 'info';
      req.log[level]({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    });
    next();
  });

  // Hostile URLs stop here, before any route decodes a parameter (edge/request-guard.ts).
  app.use((req, _res, next) => {
    try {
      checkUrl(req.url);
      next();
    } catch (err) {
      next(err);
    }
  });

  // CORS for browser SDKs on the public paths only: preflights end here (edge/cors.ts).
  app.use((req, res, next) => {
    const pre = preflight(req.method, req.url, req.headers);
    if (pre) return send(res, pre);
    for (const [k, v] of Object.entries(corsHeaders(req.url, req.headers))) res.setHeader(k, v);
    next();
  });
  app.use(deps.auth.originGuard);

  for (const mount of deps.routes) mount(app, deps.auth);

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

/**
 * JSON body parser with a limit (gzip/deflate bodies are inflated, Content-Encoding), then the
 * edge's body check (depth, `__proto__` keys, NUL and lone surrogates: 400 naming the path).
 * `items: true` leaves that check to the route's per-item validation, so one bad event of a
 * batch never costs its valid neighbours (events, engage).
 */
export function jsonBody(limit: string | number, opts: { items?: boolean } = {}): RequestHandler {
  const parser = express.json({ limit, inflate: true, strict: false, type: ['application/json', 'application/*+json', 'text/plain'] });
  if (opts.items) return parser;
  return (req, res, next) => {
    parser(req, res, (err?: unknown) => {
      if (err) return next(err);
      try {
        // Paths as the route's own validation names them: the admin API's relative to the body
        // (`variants.on`), the public endpoints' with `body.` (`body.context.k`).
        if (req.body !== undefined) checkJson(req.body, req.path.startsWith('/v1/projects') ? '' : 'body');
        next();
      } catch (e) {
        next(e);
      }
    });
  };
}
