import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors.js';
import { errorResponse } from './edge/error-response.js';

export { STATUS } from './edge/error-response.js';

/**
 * express's last handler: every error through the one error answer (edge/error-response.ts).
 * OFREP paths answer in OFREP's own shape (`{ errorCode?, errorDetails }`, OpenFeature Remote
 * Evaluation Protocol), so providers read the reason: a 400 carries `INVALID_CONTEXT`.
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const e = errorResponse(err, req.log);
  if (req.path.startsWith('/ofrep/')) {
    const message = (JSON.parse(e.body) as { error: { message: string } }).error.message;
    res.status(e.status).set(e.headers).json(e.status === 400 ? { errorCode: 'INVALID_CONTEXT', errorDetails: message } : { errorDetails: message });
    return;
  }
  res.status(e.status).set(e.headers).send(e.body);
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
};
