import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Auth } from './auth.js';
import { requestIdOf } from './edge/request-id.js';
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

  for (const mount of deps.routes) mount(app, deps.auth);

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

/** JSON body parser with a limit; gzip/deflate bodies are inflated (Content-Encoding). */
export const jsonBody = (limit: string | number) => express.json({ limit, inflate: true, strict: false, type: ['application/json', 'application/*+json', 'text/plain'] });
