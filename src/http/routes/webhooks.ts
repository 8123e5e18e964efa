import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { idParam, page, parsePage } from '../pagination.js';
import { parse } from '../validate.js';
import type { WebhookAdmin } from '../../services/webhooks.js';
import type { WebhookDispatcher } from '../../services/webhook-dispatcher.js';

/**
 * Admin API for webhooks (docs/webhooks.md):
 *   POST   /v1/projects/:project/webhooks                 { url, event_types, description? } -> 201, with `secret` (shown once)
 *   GET    /v1/projects/:project/webhooks                 -> { data }
 *   GET    /v1/projects/:project/webhooks/:id
 *   PATCH  /v1/projects/:project/webhooks/:id             { url?, event_types?, description?, enabled? } (enabling resets the failure count)
 *   DELETE /v1/projects/:project/webhooks/:id             -> 204
 *   POST   /v1/projects/:project/webhooks/:id/rotate-secret -> the endpoint with its new `secret`
 *   GET    /v1/projects/:project/webhooks/:id/deliveries  ?limit&cursor -> { data: deliveries with their attempt log, next_cursor }
 *   POST   /v1/projects/:project/webhook-deliveries/:id/redeliver -> 202 (due now)
 */
export function webhookRoutes(deps: { admin: WebhookAdmin; dispatcher?: Pick<WebhookDispatcher, 'tick'> }): RouteModule {
  const { admin } = deps;
  return (app, auth) => {
    const body = jsonBody('64kb');
    const base = '/v1/projects/:project/webhooks';
    const id = (raw: unknown) => parse(idParam, raw, 'id');
    app.post(base, body, auth.requireAdminProject, async (req, res) => {
      res.status(201).json(await admin.create(req.adminProject!.id, req.admin!.actor, req.body));
    });
    app.get(base, auth.requireAdminProject, async (req, res) => {
      res.json({ data: await admin.list(req.adminProject!.id) });
    });
    app.get(`${base}/:id`, auth.requireAdminProject, async (req, res) => {
      res.json(await admin.get(req.adminProject!.id, id(req.params.id)));
    });
    app.patch(`${base}/:id`, body, auth.requireAdminProject, async (req, res) => {
      res.json(await admin.update(req.adminProject!.id, req.admin!.actor, id(req.params.id), req.body));
    });
    app.delete(`${base}/:id`, auth.requireAdminProject, async (req, res) => {
      await admin.remove(req.adminProject!.id, req.admin!.actor, id(req.params.id));
      res.status(204).end();
    });
    app.post(`${base}/:id/rotate-secret`, auth.requireAdminProject, async (req, res) => {
      res.json(await admin.rotateSecret(req.adminProject!.id, req.admin!.actor, id(req.params.id)));
    });
    app.get(`${base}/:id/deliveries`, auth.requireAdminProject, async (req, res) => {
      const q = parsePage(req.query);
      const rows = await admin.deliveries(req.adminProject!.id, id(req.params.id), { beforeId: q.cursor, limit: q.limit });
      res.json(page(rows, q.limit, (r) => r.id));
    });
    app.post('/v1/projects/:project/webhook-deliveries/:id/redeliver', auth.requireAdminProject, async (req, res) => {
      await admin.redeliver(req.adminProject!.id, id(req.params.id));
      void deps.dispatcher?.tick().catch(() => {});
      res.status(202).json({ state: 'pending' });
    });
  };
}
