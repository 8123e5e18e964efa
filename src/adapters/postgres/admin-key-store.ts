import type { AdminKey } from '../../domain/admin-key.js';
import type { AdminKeyStore } from '../../ports/admin-key-store.js';
import type { Pool } from './pool.js';

interface AdminKeyRow {
  id: number;
  name: string;
  key_prefix: string;
  project_ids: (number | string)[] | null;
  created_at: Date;
  revoked_at: Date | null;
}

const toKey = (r: AdminKeyRow): AdminKey => ({
  id: r.id,
  name: r.name,
  prefix: r.key_prefix,
  projectIds: r.project_ids ? r.project_ids.map(Number) : null,
  createdAt: r.created_at.toISOString(),
  revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
});

const COLUMNS = 'id, name, key_prefix, project_ids, created_at, revoked_at';

export function createAdminKeyStore(pool: Pool): AdminKeyStore {
  return {
    /** Inserts a key; an existing hash is left as is (INIT_ADMIN_KEY on every start). */
    async insert(name: string, hash: string, prefix: string, projectIds: number[] | null): Promise<AdminKey> {
      const { rows } = await pool.query<AdminKeyRow>(
        `INSERT INTO admin_keys (name, key_hash, key_prefix, project_ids) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key_hash) DO UPDATE SET name = admin_keys.name
         RETURNING ${COLUMNS}`,
        [name, hash, prefix, projectIds],
      );
      return toKey(rows[0]);
    },
    async byHash(hash: string): Promise<AdminKey | null> {
      const { rows } = await pool.query<AdminKeyRow>(`SELECT ${COLUMNS} FROM admin_keys WHERE key_hash = $1`, [hash]);
      return rows[0] ? toKey(rows[0]) : null;
    },
    async get(id: number): Promise<AdminKey | null> {
      const { rows } = await pool.query<AdminKeyRow>(`SELECT ${COLUMNS} FROM admin_keys WHERE id = $1`, [id]);
      return rows[0] ? toKey(rows[0]) : null;
    },
    /** Keys that can reach the project (scoped to it, or to every project). */
    async listForProject(projectId: number): Promise<AdminKey[]> {
      const { rows } = await pool.query<AdminKeyRow>(
        `SELECT ${COLUMNS} FROM admin_keys WHERE project_ids IS NULL OR $1 = ANY(project_ids) ORDER BY id`,
        [projectId],
      );
      return rows.map(toKey);
    },
    async revoke(id: number): Promise<AdminKey | null> {
      const { rows } = await pool.query<AdminKeyRow>(
        `UPDATE admin_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
        [id],
      );
      return rows[0] ? toKey(rows[0]) : null;
    },
    async touch(id: number): Promise<void> {
      await pool.query(
        `UPDATE admin_keys SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [id],
      );
    },
  };
}

