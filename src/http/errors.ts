import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors.js';
import { OriginRefused } from './edge/cors.js';
import { errorResponse } from './edge/error-response.js';
import { ofrepError } from './edge/ofrep.js';

export { STATUS } from './edge/error-response.js';

/**
 * express's last handler: every error through the one error answer (edge/error-response.ts).
 * OFREP paths answer in OFREP's own shape (`{ errorCode?, errorDetails }`, OpenFeature Remote
 * Evaluation Protocol), so providers read the reason: a 400 carries `INVALID_CONTEXT`.
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  // A refused browser origin reads nothing: the CORS header set at the edge is withdrawn.
  if (err instanceof OriginRefused) res.removeHeader('Access-Control-Allow-Origin');
  const e = req.path.startsWith('/ofrep/') ? ofrepError(err, req.log) : errorResponse(err, req.log);
  res.status(e.status).set(e.headers).send(e.body);
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
};
