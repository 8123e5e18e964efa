import express, { type Request, type Response } from 'express';
import type { RouteModule } from '../app.js';
import { answerOfrep, type OfrepDeps } from '../edge/ofrep.js';
import { send } from '../edge/send.js';

/**
 * OFREP endpoints on express (edge/ofrep.ts answers them): `POST /ofrep/v1/evaluate/flags/{key}`
 * and `POST /ofrep/v1/evaluate/flags` (bulk, with ETag / If-None-Match), plus
 * `GET /ofrep/v1/configuration`. The fast path (http/fast/ofrep-fast.ts) takes the evaluation
 * requests first; express sees those with a Content-Encoding (gzip) and anything unusual.
 */
export function ofrepRoutes(deps: OfrepDeps): RouteModule {
  return (app) => {
    // Raw bytes: the body is decoded as flagd decodes it, whatever its Content-Type.
    const body = express.raw({ limit: '256kb', inflate: true, type: () => true });
    const raw = (req: Request) => (Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
    const evaluate = (key: string | undefined) => async (req: Request, res: Response) => {
      send(res, await answerOfrep(deps, { key, headers: req.headers, body: raw(req), url: req.originalUrl }, req.log));
    };

    app.post('/ofrep/v1/evaluate/flags/:key', body, (req, res) => evaluate(String(req.params.key))(req, res));
    app.post('/ofrep/v1/evaluate/flags', body, evaluate(undefined));

    app.get('/ofrep/v1/configuration', (_req, res) => {
      res.json({
        name: 'switchboard',
        capabilities: {
          cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: 1000 } },
          flagEvaluation: { supportedTypes: ['int', 'float', 'string', 'boolean', 'object'] },
        },
      });
    });
  };
}
