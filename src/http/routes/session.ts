import type { RouteModule } from '../app.js';
import type { AdminKeyStore } from '../../ports/admin-key-store.js';

/** What a key may do; `write` is false for a read-only key (scopes arrive with PRODUCT.md 17). */
export interface SessionBody {
  key: { id: number; name: string | null; prefix: string | null };
  /** projects the key reaches; null: every project */
  project_ids: number[] | null;
  scopes: string[];
  can: { write: boolean; create_projects: boolean };
}

/**
 * `GET /v1/me` (admin key): who the key is and what it may do, so a client (the console)
 * can hide what it cannot use. 401 without a valid key. Until keys carry scopes every key
 * has `["read", "write"]`; a principal that carries `scopes` is answered with them.
 */
export function sessionRoutes(deps: { adminKeys: Pick<AdminKeyStore, 'get'> }): RouteModule {
  return (app, auth) => {
    app.get('/v1/me', auth.requireAdmin, async (req, res) => {
      const who = req.admin!;
      const key = who.keyId > 0 ? await deps.adminKeys.get(who.keyId) : null;
      const scopes = (who as { scopes?: string[] }).scopes ?? ['read', 'write'];
      const body: SessionBody = {
        key: { id: who.keyId, name: key?.name ?? null, prefix: key?.prefix ?? null },
        project_ids: who.projectIds,
        scopes,
        can: { write: scopes.includes('write'), create_projects: who.projectIds === null && scopes.includes('write') },
      };
      res.setHeader('Cache-Control', 'no-store').json(body);
    });
  };
}
