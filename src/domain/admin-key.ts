/** Admin keys (PRODUCT.md 2, 9): secrets for the admin API, stored hashed, scoped, revocable. */

/** An admin key without its secret. `projectIds` null means every project. Times are ISO 8601. */
export interface AdminKey {
  id: number;
  name: string;
  prefix: string;
  projectIds: number[] | null;
  createdAt: string;
  revokedAt: string | null;
}

/** Who is calling the admin API: a key id, the actor written to the audit log, and the projects it may touch (null: all). */
export interface AdminPrincipal {
  keyId: number;
  actor: string;
  projectIds: number[] | null;
}

/** True when the principal may touch the project. */
export const canAccess = (who: AdminPrincipal, projectId: number): boolean =>
  who.projectIds === null || who.projectIds.includes(projectId);
