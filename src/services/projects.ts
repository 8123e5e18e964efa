import { AppError, notFound } from '../errors.js';
import { hashSecret, newAdminSecret, newProjectToken, secretPrefix } from './secrets.js';
import { timingSafeEqual } from 'node:crypto';
import { canAccess, type AdminKey, type AdminPrincipal, type KeyScope } from '../domain/admin-key.js';
import type { AdminKeyStore } from '../ports/admin-key-store.js';
import type { AuditStore } from '../ports/audit-store.js';
import type { Project, Tier } from '../domain/project.js';
import type { ProjectPatch, ProjectStore } from '../ports/project-store.js';

export type { AdminPrincipal };

export interface ProjectsDeps {
  projects: ProjectStore;
  adminKeys: AdminKeyStore;
  audit: AuditStore;
  /** tells API processes a project changed (tier, allowed_origins); failures are ignored */
  notify?: (projectId: number) => Promise<void>;
}

/** Constant-time equality of a SHA-256 digest and a stored hex hash. */
function sameHash(digest: Buffer, storedHex: string): boolean {
  const stored = Buffer.from(storedHex, 'hex');
  return stored.length === digest.length && timingSafeEqual(stored, digest);
}

/** Projects and admin keys: creation, scoping, rotation, revocation (PRODUCT.md 9, 17). */
export function createProjectsService(deps: ProjectsDeps) {
  const { projects, adminKeys, audit } = deps;

  async function requireProject(who: AdminPrincipal, projectId: number): Promise<Project> {
    // A key scoped elsewhere learns nothing: 404 exactly as for a missing project.
    const project = canAccess(who, projectId) ? await projects.get(projectId) : null;
    if (!project) throw notFound(`project ${projectId} not found`);
    return project;
  }

  /** A key reachable through `projectId`, that the caller may manage (not one with a wider scope). */
  async function visibleKey(who: AdminPrincipal, projectId: number, keyId: number): Promise<AdminKey> {
    await requireProject(who, projectId);
    const key = await adminKeys.get(keyId);
    const visible = key && (key.projectIds === null || key.projectIds.includes(projectId));
    if (!key || !visible) throw notFound(`admin key ${keyId} not found`);
    // A scoped key may not manage a key that also reaches projects outside its scope.
    if (who.projectIds !== null && (key.projectIds === null || key.projectIds.some((p) => !who.projectIds!.includes(p)))) {
      throw new AppError('forbidden', 'this key cannot manage a key with a wider scope');
    }
    return key;
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

    async update(who: AdminPrincipal, projectId: number, patch: ProjectPatch): Promise<Project> {
      const before = await requireProject(who, projectId);
      const after = (await projects.update(projectId, patch))!;
      void deps.notify?.(projectId).catch(() => {});
      await audit.write({ projectId, actor: who.actor, action: 'update', entityKind: 'project', entityKey: String(projectId), before: { name: before.name, tier: before.tier, allowed_origins: before.allowedOrigins, event_retention_days: before.eventRetentionDays }, after: { name: after.name, tier: after.tier, allowed_origins: after.allowedOrigins, event_retention_days: after.eventRetentionDays } });
      return after;
    },

    /** Creates a key scoped to `projectIds` (null: all) with `scope` (default write). Returns the secret once. */
    async createKey(who: AdminPrincipal, name: string, projectIds: number[] | null, scope: KeyScope = 'write'): Promise<{ key: AdminKey; secret: string }> {
      if (projectIds === null && who.projectIds !== null) throw new AppError('forbidden', 'a scoped key cannot create a key for all projects');
      for (const id of projectIds ?? []) await requireProject(who, id);
      const secret = newAdminSecret();
      const key = await adminKeys.insert(name, hashSecret(secret), secretPrefix(secret), projectIds, scope);
      for (const id of projectIds ?? [null]) {
        await audit.write({ projectId: id, actor: who.actor, action: 'create', entityKind: 'admin_key', entityKey: String(key.id), after: { name, prefix: key.prefix, projectIds, scope } });
      }
      return { key, secret };
    },

    /**
     * Rotates a key the caller can see through `projectId`: a new secret (returned once), while
     * the old one keeps working for `graceS` seconds. Throws not_found, forbidden (a wider key).
     */
    async rotateKey(who: AdminPrincipal, projectId: number, keyId: number, graceS: number): Promise<{ key: AdminKey; secret: string }> {
      const key = await visibleKey(who, projectId, keyId);
      const secret = newAdminSecret();
      const rotated = await adminKeys.rotate(key.id, hashSecret(secret), secretPrefix(secret), new Date(Date.now() + graceS * 1000));
      if (!rotated) throw notFound(`admin key ${keyId} not found (revoked keys cannot be rotated)`);
      await audit.write({ projectId, actor: who.actor, action: 'rotate', entityKind: 'admin_key', entityKey: String(keyId), before: { prefix: key.prefix }, after: { prefix: rotated.prefix, previous_expires_at: rotated.previousExpiresAt } });
      return { key: rotated, secret };
    },

    listKeys: async (who: AdminPrincipal, projectId: number) => {
      await requireProject(who, projectId);
      return adminKeys.listForProject(projectId);
    },

    /** Revokes a key the caller can see through `projectId`. Idempotent. */
    async revokeKey(who: AdminPrincipal, projectId: number, keyId: number): Promise<AdminKey> {
      await visibleKey(who, projectId, keyId);
      const revoked = (await adminKeys.revoke(keyId))!;
      await audit.write({ projectId, actor: who.actor, action: 'revoke', entityKind: 'admin_key', entityKey: String(keyId) });
      return revoked;
    },

    /**
     * Resolves an admin secret to a principal, or null when unknown or revoked. The key is found
     * by its non-secret prefix, and the secret's SHA-256 is compared with the stored one in
     * constant time (crypto.timingSafeEqual), for the current secret and, during a rotation's
     * grace period, the previous one.
     */
    async authenticate(secret: string): Promise<AdminPrincipal | null> {
      const hash = Buffer.from(hashSecret(secret), 'hex');
      let found: AdminKey | null = null;
      for (const c of await adminKeys.candidates(secretPrefix(secret))) {
        const current = sameHash(hash, c.hash);
        const previous = c.previousHash !== null && sameHash(hash, c.previousHash);
        if ((current || previous) && !c.revokedAt) found = c;
      }
      if (!found) return null;
      const key = found;
      void adminKeys.touch(key.id).catch(() => {});
      return { keyId: key.id, actor: `admin_key:${key.id}:${key.prefix}`, projectIds: key.projectIds, scope: key.scope };
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
