import type { AdminKey, KeyScope } from '../domain/admin-key.js';

/** A key with the hashes of its current and previous secret, for the constant-time check. */
export interface KeyCredential extends AdminKey {
  hash: string;
  previousHash: string | null;
}

/** Admin keys, stored by the SHA-256 of their secret. */
export interface AdminKeyStore {
  /** inserts a key; an existing hash is left as is (INIT_ADMIN_KEY on every start) */
  insert(name: string, hash: string, prefix: string, projectIds: number[] | null, scope?: KeyScope): Promise<AdminKey>;
  byHash(hash: string): Promise<AdminKey | null>;
  /** keys whose current or previous secret starts with `prefix` (the non-secret first 8 characters) */
  candidates(prefix: string): Promise<KeyCredential[]>;
  /** a new secret; the current one keeps working until `previousExpiresAt` */
  rotate(id: number, hash: string, prefix: string, previousExpiresAt: Date): Promise<AdminKey | null>;
  get(id: number): Promise<AdminKey | null>;
  /** keys that can reach the project (scoped to it, or to every project) */
  listForProject(projectId: number): Promise<AdminKey[]>;
  revoke(id: number): Promise<AdminKey | null>;
  /** records a use (at most once a minute per key) */
  touch(id: number): Promise<void>;
}
