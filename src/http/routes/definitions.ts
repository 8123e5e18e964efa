import type { Request } from 'express';
import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { parse } from '../validate.js';
import { AppError } from '../../errors.js';
import { page, parsePage } from '../pagination.js';
import type { DefinitionsService } from '../../services/definitions.js';
import type { DefinitionKind } from '../../domain/definition.js';
import type { AuditStore } from '../../ports/audit-store.js';

const PLURAL: Record<DefinitionKind, string> = { flag: 'flags', config: 'configs', survey: 'surveys' };

const versionSchema = z.coerce.number().int().min(1);

/** The expected version for an update: `If-Match: <version>` (quotes allowed) or `version` in the body. */
function expectedVersion(req: Request): number {
  const header = req.headers['if-match'];
  const raw = typeof header === 'string' ? header.replace(/^W\//, '').replace(/"/g, '').trim() : (req.body as { version?: unknown })?.version;
  if (raw === undefined) {
    throw new AppError('invalid_request', 'version: required; send If-Match: <version> or a version field', {
      issues: [{ path: 'version', message: 'required' }],
    });
  }
  return parse(versionSchema, raw, 'version');
}

const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().regex(/^\d+$/, 'must be a cursor returned by a previous page').transform(Number).optional(),
  entity_kind: z.string().max(50).optional(),
  entity_key: z.string().max(200).optional(),
  actor: z.string().max(200).optional(),
});

/** Admin API for flags, configs and surveys (PRODUCT.md 7.1, 9) and the audit log. */
export function definitionRoutes(deps: { definitions: DefinitionsService; audit: AuditStore }): RouteModule {
  const { definitions } = deps;
  return (app, auth) => {
    const body = jsonBody('1mb');
    for (const kind of ['flag', 'config', 'survey'] as const) {
      const base = `/v1/projects/:project/${PLURAL[kind]}`;
      app.get(base, auth.requireAdminProject, async (req, res) => {
        const q = parsePage(req.query);
        const rows = await definitions.list(kind, req.adminProject!.id, q.cursor ?? 0, q.limit);
        const p = page(rows, q.limit, (r) => r.id);
        res.json({ data: p.data.map((r) => r.view), next_cursor: p.next_cursor });
      });
      app.post(base, body, auth.requireAdminProject, async (req, res) => {
        const created = await definitions.create(kind, req.adminProject!.id, req.admin!.actor, req.body);
        res.status(201).setHeader('ETag', `"${created.version}"`).json(created);
      });
      app.get(`${base}/:key`, auth.requireAdminProject, async (req, res) => {
        const d = await definitions.get(kind, req.adminProject!.id, String(req.params.key));
        res.setHeader('ETag', `"${d.version}"`).json(d);
      });
      app.put(`${base}/:key`, body, auth.requireAdminProject, async (req, res) => {
        const d = await definitions.replace(kind, req.adminProject!.id, req.admin!.actor, String(req.params.key), req.body, expectedVersion(req));
        res.setHeader('ETag', `"${d.version}"`).json(d);
      });
      app.post(`${base}/:key/kill`, auth.requireAdminProject, async (req, res) => {
        const d = await definitions.kill(kind, req.adminProject!.id, req.admin!.actor, String(req.params.key));
        res.setHeader('ETag', `"${d.version}"`).json(d);
      });
      app.delete(`${base}/:key`, auth.requireAdminProject, async (req, res) => {
        await definitions.remove(kind, req.adminProject!.id, req.admin!.actor, String(req.params.key));
        res.status(204).end();
      });
    }

    app.get('/v1/projects/:project/audit', auth.requireAdminProject, async (req, res) => {
      const q = parse(auditQuery, req.query, 'query');
      const rows = await deps.audit.list(req.adminProject!.id, { beforeId: q.cursor, limit: q.limit, entityKind: q.entity_kind, entityKey: q.entity_key, actor: q.actor });
      const data = rows.map((r) => ({ id: r.id, actor: r.actor, action: r.action, entity_kind: r.entityKind, entity_key: r.entityKey, before: r.before, after: r.after, created_at: r.createdAt }));
      res.json({ data, next_cursor: rows.length === q.limit ? String(rows[rows.length - 1].id) : null });
    });
  };
}
