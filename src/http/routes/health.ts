import type { RouteModule } from '../app.js';
import type { Metrics } from '../../metrics.js';

/** Which stores a process uses (docs/embedded.md). */
export interface StoreModes {
  /** `server`: DATABASE_URL's server; `embedded`: the embedded PostgreSQL this process started or joined */
  postgres: 'server' | 'embedded';
  /** `server`: Redis (one server or a cluster); `memory`: the in-process adapters (one process only) */
  redis: 'server' | 'memory';
}

export interface Readiness {
  ok: boolean;
  /** the stores in use; in `memory` mode `redis` is always `ok` (the store is this process's memory) */
  mode: StoreModes;
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

/**
 * `/healthz` (process up), `/readyz` (PostgreSQL and Redis reachable, and `mode`: which stores),
 * `/metrics` (`switchboard_store_mode{postgres,redis}` names the mode too).
 */
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
