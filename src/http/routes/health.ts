import type { RouteModule } from '../app.js';
import type { Metrics } from '../../metrics.js';

export interface Readiness {
  ok: boolean;
  postgres: 'ok' | 'down';
  redis: 'ok' | 'down';
  /** true when decisions are answered from memory because Redis is away */
  degraded: boolean;
  /**
   * `recovering` while handshakes find cohorts whose membership Redis lost (their rules are
   * skipped until the refresher has re-materialized them); the service stays ready.
   */
  membership?: { state: 'ok' | 'recovering'; unavailable: Array<{ project_id: number; cohorts: readonly string[] }> };
}

/** `/healthz` (process up), `/readyz` (PostgreSQL and Redis reachable), `/metrics`. */
export function healthRoutes(deps: { readiness: () => Promise<Readiness>; metrics: Metrics }): RouteModule {
  return (app) => {
    app.get('/healthz', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.get('/readyz', async (_req, res) => {
      const r = await deps.readiness();
      res.status(r.ok ? 200 : 503).json({ status: r.ok ? 'ready' : 'not_ready', ...r });
    });
    app.get('/metrics', async (_req, res) => {
      res.setHeader('Content-Type', deps.metrics.registry.contentType);
      res.send(await deps.metrics.registry.metrics());
    });
  };
}
