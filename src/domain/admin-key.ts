/** Admin keys (PRODUCT.md 2, 9): secrets for the admin API, stored hashed, scoped, revocable. */

/** What a key may do: `read` (GET, previews, explain) or `write` (everything its projects allow). */
export type KeyScope = 'read' | 'write';
export const KEY_SCOPES: readonly KeyScope[] = ['read', 'write'];

/** An admin key without its secret. `projectIds` null means every project. Times are ISO 8601. */
export interface AdminKey {
  id: number;
  name: string;
  prefix: string;
  projectIds: number[] | null;
  scope: KeyScope;
  createdAt: string;
  revokedAt: string | null;
  /** after a rotation: until when the previous secret still works (null: none) */
  previousExpiresAt: string | null;
}

/**
 * Who is calling the admin API: a key id, the actor written to the audit log, the projects it
 * may touch (null: all) and its scope (absent: write, e.g. internal callers).
 */
export interface AdminPrincipal {
  keyId: number;
  actor: string;
  projectIds: number[] | null;
  scope?: KeyScope;
}

/** True when the principal may change things (not a read-only key). */
export const canWrite = (who: AdminPrincipal): boolean => who.scope !== 'read';

/** True when the principal may touch the project. */
export const canAccess = (who: AdminPrincipal, projectId: number): boolean =>
  who.projectIds === null || who.projectIds.includes(projectId);
