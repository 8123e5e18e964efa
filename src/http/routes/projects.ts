import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { parse } from '../validate.js';
import { page, parsePage } from '../pagination.js';
import type { ProjectsService } from '../../services/projects.js';
import { TIERS, type Project } from '../../domain/project.js';
import type { AdminKey } from '../../domain/admin-key.js';

const tier = z.enum(TIERS as [string, ...string[]]).transform((t) => t as Project['tier']);
const createProject = z.object({ name: z.string().trim().min(1).max(200), tier: tier.optional() }).strict();
const patchProject = z.object({ name: z.string().trim().min(1).max(200).optional(), tier: tier.optional() }).strict();
const createKey = z.object({
  name: z.string().trim().min(1).max(200),
  /** omitted: the key is scoped to the project in the path only */
  project_ids: z.array(z.number().int().positive()).min(1).nullable().optional(),
}).strict();

/** `:project` is a positive integer id; anything else is a 404 like a missing project. */
export const projectIdParam = z.coerce.number().int().positive();

const projectBody = (p: Project) => ({ id: p.id, name: p.name, tier: p.tier, token: p.token, created_at: p.createdAt });
const keyBody = (k: AdminKey) => ({ id: k.id, name: k.name, prefix: k.prefix, project_ids: k.projectIds, created_at: k.createdAt, revoked_at: k.revokedAt });

/** Projects and their admin keys (PRODUCT.md 9). */
export function projectRoutes(deps: { projects: ProjectsService }): RouteModule {
  const { projects } = deps;
  return (app, auth) => {
    const body = jsonBody('100kb');

    app.post('/v1/projects', body, auth.requireAdmin, async (req, res) => {
      const input = parse(createProject, req.body, 'body');
      res.status(201).json(projectBody(await projects.create(req.admin!, input)));
    });
    app.get('/v1/projects', auth.requireAdmin, async (req, res) => {
      const q = parsePage(req.query);
      const rows = await projects.list(req.admin!, q.cursor ?? 0, q.limit);
      res.json(page(rows.map(projectBody), q.limit, (p) => p.id));
    });
    app.get('/v1/projects/:project', auth.requireAdminProject, async (req, res) => {
      res.json(projectBody(req.adminProject!));
    });
    app.patch('/v1/projects/:project', body, auth.requireAdminProject, async (req, res) => {
      const patch = parse(patchProject, req.body, 'body');
      res.json(projectBody(await projects.update(req.admin!, req.adminProject!.id, patch)));
    });
    app.get('/v1/projects/:project/keys', auth.requireAdminProject, async (req, res) => {
      const keys = await projects.listKeys(req.admin!, req.adminProject!.id);
      res.json({ data: keys.map(keyBody), next_cursor: null });
    });
    app.post('/v1/projects/:project/keys', body, auth.requireAdminProject, async (req, res) => {
      const pid = req.adminProject!.id;
      const input = parse(createKey, req.body, 'body');
      const scope = input.project_ids === undefined ? [pid] : input.project_ids;
      const { key, secret } = await projects.createKey(req.admin!, input.name, scope);
      // The secret is shown once, here; only its hash is stored.
      res.status(201).json({ ...keyBody(key), key: secret });
    });
    app.delete('/v1/projects/:project/keys/:key', auth.requireAdminProject, async (req, res) => {
      const keyId = projectIdParam.safeParse(req.params.key);
      const revoked = await projects.revokeKey(req.admin!, req.adminProject!.id, keyId.success ? keyId.data : -1);
      res.json(keyBody(revoked));
    });
  };
}
