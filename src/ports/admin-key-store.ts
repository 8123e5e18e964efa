import type { AdminKey } from '../domain/admin-key.js';

/** Admin keys, stored by the hash of their secret. */
export interface AdminKeyStore {
  /** inserts a key; an existing hash is left as is (INIT_ADMIN_KEY on every start) */
  insert(name: string, hash: string, prefix: string, projectIds: number[] | null): Promise<AdminKey>;
  byHash(hash: string): Promise<AdminKey | null>;
  get(id: number): Promise<AdminKey | null>;
  /** keys that can reach the project (scoped to it, or to every project) */
  listForProject(projectId: number): Promise<AdminKey[]>;
  revoke(id: number): Promise<AdminKey | null>;
  /** records a use (at most once a minute per key) */
  touch(id: number): Promise<void>;
}
