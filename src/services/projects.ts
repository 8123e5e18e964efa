import { AppError, notFound } from '../errors.js';
import { hashSecret, newAdminSecret, newProjectToken, secretPrefix } from './secrets.js';
import type { AdminKey } from '../domain/admin-key.js';
import type { AdminKeyStore } from '../ports/admin-key-store.js';
import type { AuditStore } from '../ports/audit-store.js';
import type { Project, Tier } from '../domain/project.js';
import type { ProjectStore } from '../ports/project-store.js';

/** Who is calling the admin API: a key id and the projects it may touch (null: all). */
export interface AdminPrincipal {
  keyId: number;
  actor: string;
  projectIds: number[] | null;
}

export interface ProjectsDeps {
  projects: ProjectStore;
  adminKeys: AdminKeyStore;
  audit: AuditStore;
}

export const canAccess = (who: AdminPrincipal, projectId: number) =>
  who.projectIds === null || who.projectIds.includes(projectId);

/** Projects and admin keys: creation, scoping, revocation (PRODUCT.md 9). */
export function createProjectsService(deps: ProjectsDeps) {
  const { projects, adminKeys, audit } = deps;

  async function requireProject(who: AdminPrincipal, projectId: number): Promise<Project> {
    // A key scoped elsewhere learns nothing: 404 exactly as for a missing project.
    const project = canAccess(who, projectId) ? await projects.get(projectId) : null;
    if (!project) throw notFound(`project ${projectId} not found`);
    return project;
  }

  return {
    requireProject,

    async create(who: AdminPrincipal, input: { name: string; tier?: Tier }): Promise<Project> {
      if (who.projectIds !== null) throw new AppError('forbidden', 'only an admin key for all projects can create projects');
      const project = await projects.insert(input.name, input.tier ?? 'pro', newProjectToken());
      await audit.write({ projectId: project.id, actor: who.actor, action: 'create', entityKind: 'project', entityKey: String(project.id), after: { name: project.name, tier: project.tier } });
      return project;
    },

    list: (who: AdminPrincipal, afterId: number, limit: number) => projects.list(who.projectIds, afterId, limit),

    async update(who: AdminPrincipal, projectId: number, patch: { name?: string; tier?: Tier }): Promise<Project> {
      const before = await requireProject(who, projectId);
      const after = (await projects.update(projectId, patch))!;
      await audit.write({ projectId, actor: who.actor, action: 'update', entityKind: 'project', entityKey: String(projectId), before: { name: before.name, tier: before.tier }, after: { name: after.name, tier: after.tier } });
      return after;
    },

    /** Creates a key scoped to `projectIds` (null: all). Returns the secret once. */
    async createKey(who: AdminPrincipal, name: string, projectIds: number[] | null): Promise<{ key: AdminKey; secret: string }> {
      if (projectIds === null && who.projectIds !== null) throw new AppError('forbidden', 'a scoped key cannot create a key for all projects');
      for (const id of projectIds ?? []) await requireProject(who, id);
      const secret = newAdminSecret();
      const key = await adminKeys.insert(name, hashSecret(secret), secretPrefix(secret), projectIds);
      for (const id of projectIds ?? [null]) {
        await audit.write({ projectId: id, actor: who.actor, action: 'create', entityKind: 'admin_key', entityKey: String(key.id), after: { name, prefix: key.prefix, projectIds } });
      }
      return { key, secret };
    },

    listKeys: async (who: AdminPrincipal, projectId: number) => {
      await requireProject(who, projectId);
      return adminKeys.listForProject(projectId);
    },

    /** Revokes a key the caller can see through `projectId`. Idempotent. */
    async revokeKey(who: AdminPrincipal, projectId: number, keyId: number): Promise<AdminKey> {
      await requireProject(who, projectId);
      const key = await adminKeys.get(keyId);
      const visible = key && (key.projectIds === null || key.projectIds.includes(projectId));
      if (!key || !visible) throw notFound(`admin key ${keyId} not found`);
      // A scoped key may not revoke a key that also reaches projects outside its scope.
      if (who.projectIds !== null && (key.projectIds === null || key.projectIds.some((p) => !who.projectIds!.includes(p)))) {
        throw new AppError('forbidden', 'this key cannot revoke a key with a wider scope');
      }
      const revoked = (await adminKeys.revoke(keyId))!;
      await audit.write({ projectId, actor: who.actor, action: 'revoke', entityKind: 'admin_key', entityKey: String(keyId) });
      return revoked;
    },

    /** Resolves an admin secret to a principal, or null when unknown or revoked. */
    async authenticate(secret: string): Promise<AdminPrincipal | null> {
      const key = await adminKeys.byHash(hashSecret(secret));
      if (!key || key.revokedAt) return null;
      void adminKeys.touch(key.id).catch(() => {});
      return { keyId: key.id, actor: `admin_key:${key.id}:${key.prefix}`, projectIds: key.projectIds };
    },

    /** INIT_ADMIN_KEY: make sure a key with this exact secret exists for all projects. */
    async ensureInitKey(secret: string): Promise<void> {
      const existing = await adminKeys.byHash(hashSecret(secret));
      if (existing) return;
      await adminKeys.insert('INIT_ADMIN_KEY', hashSecret(secret), secretPrefix(secret), null);
    },

    /** First-run bootstrap: one project and an admin key for all projects. */
    async bootstrap(name: string, tier: Tier = 'pro'): Promise<{ project: Project; secret: string; key: AdminKey }> {
      const project = await projects.insert(name, tier, newProjectToken());
      const secret = newAdminSecret();
      const key = await adminKeys.insert('bootstrap', hashSecret(secret), secretPrefix(secret), null);
      await audit.write({ projectId: project.id, actor: 'cli', action: 'bootstrap', entityKind: 'project', entityKey: String(project.id), after: { name, tier, adminKey: key.prefix } });
      return { project, secret, key };
    },
  };
}

export type ProjectsService = ReturnType<typeof createProjectsService>;
