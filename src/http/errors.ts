import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors.js';
import { errorResponse } from './edge/error-response.js';

export { STATUS } from './edge/error-response.js';

/** express's last handler: every error through the one error answer (edge/error-response.ts). */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const e = errorResponse(err, req.log);
  res.status(e.status).set(e.headers).send(e.body);
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
};
