import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { parse } from '../validate.js';
import { idParam, page, parsePage } from '../pagination.js';
import type { ProjectsService } from '../../services/projects.js';
import { TIERS, isTimeZone, type Project } from '../../domain/project.js';
import { KEY_SCOPES, type AdminKey, type KeyScope } from '../../domain/admin-key.js';

const tier = z.enum(TIERS as [string, ...string[]]).transform((t) => t as Project['tier']);
const createProject = z.object({ name: z.string().trim().min(1).max(200), tier: tier.optional() }).strict();
/**
 * An origin as browsers send it (`scheme://host[:port]`, no path), or `*` for any. At most
 * 100; null means any origin, `[]` none.
 */
const origin = z.string().max(255).regex(/^(\*|https?:\/\/[a-z0-9.-]+(:\d{1,5})?)$/i, 'an origin like https://app.example.com (scheme and host, no path), or *')
  .transform((o) => (o === '*' ? o : o.toLowerCase()));
const patchProject = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  tier: tier.optional(),
  allowed_origins: z.array(origin).max(100).nullable().optional(),
  /** days of events kept; null: forever (docs/scaling.md "Events") */
  event_retention_days: z.number().int().min(1).max(36_500).nullable().optional(),
  /** IANA zone of calendar cohort windows (docs/cohorts.md "Windows") */
  time_zone: z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone name such as UTC or Europe/Paris').optional(),
}).strict();
const createKey = z.object({
  name: z.string().trim().min(1).max(200),
  /** omitted: the key is scoped to the project in the path only */
  project_ids: z.array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)).min(1).max(1_000).nullable().optional(),
  /** `read`: GET, previews and explain only; `write` (default): everything */
  scope: z.enum(KEY_SCOPES as [KeyScope, ...KeyScope[]]).optional(),
}).strict();
/** Grace period of the previous secret, seconds: default 1 day, at most 30 days, 0 ends it now. */
const MAX_GRACE_S = 30 * 86_400;
const rotateKey = z.object({ grace_s: z.number().int().min(0).max(MAX_GRACE_S).optional() }).strict();

/** `:project` is a positive integer id; anything else is a 404 like a missing project. */
export const projectIdParam = idParam;

const projectBody = (p: Project) => ({ id: p.id, name: p.name, tier: p.tier, token: p.token, allowed_origins: p.allowedOrigins, event_retention_days: p.eventRetentionDays, time_zone: p.timeZone, created_at: p.createdAt });
const keyBody = (k: AdminKey) => ({
  id: k.id, name: k.name, prefix: k.prefix, project_ids: k.projectIds, scope: k.scope,
  created_at: k.createdAt, revoked_at: k.revokedAt, previous_expires_at: k.previousExpiresAt,
});

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
      const { allowed_origins, event_retention_days, time_zone, ...patch } = parse(patchProject, req.body, 'body');
      res.json(projectBody(await projects.update(req.admin!, req.adminProject!.id, { ...patch, allowedOrigins: allowed_origins, eventRetentionDays: event_retention_days, timeZone: time_zone })));
    });
    app.get('/v1/projects/:project/keys', auth.requireAdminProject, async (req, res) => {
      const keys = await projects.listKeys(req.admin!, req.adminProject!.id);
      res.json({ data: keys.map(keyBody), next_cursor: null });
    });
    app.post('/v1/projects/:project/keys', body, auth.requireAdminProject, async (req, res) => {
      const pid = req.adminProject!.id;
      const input = parse(createKey, req.body, 'body');
      const projectIds = input.project_ids === undefined ? [pid] : input.project_ids;
      const { key, secret } = await projects.createKey(req.admin!, input.name, projectIds, input.scope);
      // The secret is shown once, here; only its hash is stored.
      res.status(201).json({ ...keyBody(key), key: secret });
    });
    /**
     * Rotation: a new secret, returned once; the previous one keeps working for `grace_s`
     * seconds (default 86400). 404 for a revoked or unknown key.
     */
    app.post('/v1/projects/:project/keys/:key/rotate', body, auth.requireAdminProject, async (req, res) => {
      const input = parse(rotateKey, req.body ?? {}, 'body');
      const keyId = projectIdParam.safeParse(req.params.key);
      const { key, secret } = await projects.rotateKey(req.admin!, req.adminProject!.id, keyId.success ? keyId.data : -1, input.grace_s ?? 86_400);
      res.json({ ...keyBody(key), key: secret });
    });
    app.delete('/v1/projects/:project/keys/:key', auth.requireAdminProject, async (req, res) => {
      const keyId = projectIdParam.safeParse(req.params.key);
      const revoked = await projects.revokeKey(req.admin!, req.adminProject!.id, keyId.success ? keyId.data : -1);
      res.json(keyBody(revoked));
    });
  };
}
