import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { bearerToken, ofrepToken, projectToken } from './edge/token.js';
import { checkOrigin, isPublicPath } from './edge/cors.js';
import type { AdminPrincipal, ProjectsService } from '../services/projects.js';
import { canWrite } from '../domain/admin-key.js';
import type { ProjectDirectory } from '../services/project-directory.js';
import type { Project } from '../domain/project.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      requestId: string;
      log: Logger;
      /** set by requireProjectToken */
      project?: Project;
      /** set by requireAdmin */
      admin?: AdminPrincipal;
      /** set by requireAdminProject: the `:project` of the path, after the scope check */
      adminProject?: Project;
    }
  }
}


export interface Auth {
  /** Project token from `Authorization: Bearer` or `token` in the JSON body (beacons). */
  requireProjectToken: RequestHandler;
  /** Admin key from `Authorization: Bearer`; with a `:project` param, also checks the scope. */
  requireAdmin: RequestHandler;
  /**
   * Admin key plus the `:project` path parameter: loads the project into
   * `req.adminProject`; a project outside the key's scope is a 404, exactly like a
   * missing one, so keys learn nothing about other projects.
   */
  requireAdminProject: RequestHandler;
  /**
   * For every public request from a browser (`Origin`) whose token is in a header: 403 when
   * the project does not allow the origin (edge/cors.ts). Tokens in the body are checked by
   * requireProjectToken. An unknown token passes on to the route's own 401.
   */
  originGuard: RequestHandler;
}

/**
 * The project of a public request's token: 401 when missing or unknown, 503 (Retry-After 5 s)
 * when it was never seen and PostgreSQL cannot be asked. Shared by express and the fast path.
 */
export async function projectOfToken(directory: ProjectDirectory, token: string | undefined): Promise<Project> {
  if (!token) throw new AppError('unauthorized', 'missing project token: send Authorization: Bearer <token>');
  let project: Project | null;
  try {
    project = await directory.byToken(token);
  } catch {
    throw new AppError('unavailable', 'cannot verify the token right now; retry later', undefined, 5);
  }
  if (!project) throw new AppError('unauthorized', 'invalid project token');
  return project;
}

/** What a `read` key may call: GET and HEAD, and the dry-run previews (POST …/preview). */
export const readOnlyRequest = (method: string, path: string): boolean =>
  method === 'GET' || method === 'HEAD' || (method === 'POST' && /\/preview\/?$/.test(path));

/**
 * `admitAdmin(keyId)` throws a rate_limited AppError when the admin key is over its limit
 * (http/rate-limit.ts `admitter`); without it admin requests are not limited.
 */
export function createAuth(deps: { directory: ProjectDirectory; projects: ProjectsService; admitAdmin?: (keyId: number) => Promise<void> }): Auth {
  const requireProjectToken: RequestHandler = async (req, _res, next) => {
    req.project = await projectOfToken(deps.directory, projectToken(req.headers, req.body));
    checkOrigin(req.project, req.headers);
    next();
  };

  const originGuard: RequestHandler = async (req, _res, next) => {
    const token = req.headers.origin && isPublicPath(req.path) ? ofrepToken(req.headers) : undefined;
    const project = token ? await deps.directory.byToken(token).catch(() => null) : null;
    if (project) checkOrigin(project, req.headers);
    next();
  };

  const requireAdmin: RequestHandler = async (req, _res, next) => {
    const secret = bearerToken(req.headers.authorization);
    if (!secret) throw new AppError('unauthorized', 'missing admin key: send Authorization: Bearer <admin key>');
    const who = await deps.projects.authenticate(secret);
    if (!who) throw new AppError('unauthorized', 'invalid or revoked admin key');
    req.admin = who;
    await deps.admitAdmin?.(who.keyId);
    if (!canWrite(who) && !readOnlyRequest(req.method, req.path)) {
      throw new AppError('forbidden', 'this admin key is read-only (scope "read"): it may GET, preview and explain, not change anything');
    }
    next();
  };

  const requireAdminProject: RequestHandler = async (req, res, next) => {
    await requireAdmin(req, res, () => {});
    const raw = String(req.params.project ?? '');
    const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : -1;
    req.adminProject = await deps.projects.requireProject(req.admin!, id);
    next();
  };

  return { requireProjectToken, requireAdmin, requireAdminProject, originGuard };
}
