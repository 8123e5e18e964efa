import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { type Request, type Response, type NextFunction } from 'express';
import type { RouteModule } from '../app.js';

/**
 * The console's Content-Security-Policy: only this origin's scripts, styles and API; no
 * inline script, no eval, no framing, no plugins. The admin key lives in sessionStorage,
 * so the policy is what keeps other origins' scripts away from it.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

/**
 * Serves the built console (console/dist, `npm run build:console`) at `/console`:
 * - `/console/assets/*`: Vite's content-hashed files, `Cache-Control: public, max-age=31536000,
 *   immutable`, content type from the extension; a missing asset is a plain 404, never index.html;
 * - every other GET under `/console` (deep links such as `/console/projects/1/flags/new-checkout`):
 *   index.html with `Cache-Control: no-cache`, so a new build is picked up at once;
 * - all of them with CONSOLE_CSP and nosniff. Before a build exists: 503 saying how to build.
 */
export function consoleRoutes(deps: { distDir: string }): RouteModule {
  const assets = express.static(path.join(deps.distDir, 'assets'), {
    index: false,
    fallthrough: true,
    immutable: true,
    maxAge: '365d',
    redirect: false,
  });
  const staticFiles = express.static(deps.distDir, { index: false, fallthrough: true, maxAge: '1h', redirect: false });

  const sendIndex = async (_req: Request, res: Response) => {
    let html: string;
    try {
      html = await readFile(path.join(deps.distDir, 'index.html'), 'utf8');
    } catch {
      res.status(503).type('text/plain').send('The console is not built yet: run `npm run build:console` (npm start builds it when it is missing).\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(html);
  };

  return (app) => {
    const router = express.Router();
    router.use((req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next('router');
      secure(res);
      next();
    });
    router.use('/assets', assets, (_req: Request, res: Response) => {
      res.status(404).type('text/plain').send('no such console asset\n');
    });
    // Files at the top of dist (favicon); anything else is a page of the app.
    router.use((req, res, next) => (/^\/[\w.-]+\.(svg|ico|png|txt)$/.test(req.path) ? staticFiles(req, res, next) : next()));
    router.use(sendIndex);
    app.use('/console', router);
  };
}
