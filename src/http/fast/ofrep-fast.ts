import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerOfrep, ofrepError, type OfrepDeps } from '../edge/ofrep.js';
import type { EdgeResponse } from '../edge/handshake.js';
import { checkUrl } from '../edge/request-guard.js';
import { readBody } from './read-body.js';
import { serveFast, type FastDeps } from './serve-fast.js';

const LIMIT = 256 * 1024;
const BULK = '/ofrep/v1/evaluate/flags';
const SINGLE = '/ofrep/v1/evaluate/flags/';

/**
 * OFREP evaluation (`POST /ofrep/v1/evaluate/flags` and `…/flags/{key}`) on node:http ahead of
 * express, as the handshake is (fast/decide-fast.ts): the same edge (edge/ofrep.ts) answers
 * both servers, so they agree byte for byte. Bodies with a Content-Encoding go to express.
 */
export function createFastOfrep(deps: FastDeps & OfrepDeps) {
  async function answer(req: IncomingMessage, key: string | undefined): Promise<EdgeResponse> {
    try {
      checkUrl(req.url ?? '');
      const body = await readBody(req, LIMIT);
      return answerOfrep(deps, { key: key === undefined ? undefined : decodeURIComponent(key), headers: req.headers, body, url: req.url }, deps.logger);
    } catch (err) {
      return ofrepError(err, deps.logger);
    }
  }

  /** Handles the request and returns true, or returns false to leave it to express. */
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST' || req.headers['content-encoding']) return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === BULK) {
      void serveFast(deps, req, res, BULK, () => answer(req, undefined));
      return true;
    }
    if (path.startsWith(SINGLE) && path.length > SINGLE.length && !path.includes('/', SINGLE.length)) {
      void serveFast(deps, req, res, '/ofrep/v1/evaluate/flags/:key', () => answer(req, path.slice(SINGLE.length)));
      return true;
    }
    return false;
  };
}
