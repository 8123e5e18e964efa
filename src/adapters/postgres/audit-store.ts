import type { AuditEntry, AuditInput } from '../../domain/audit.js';
import type { Db } from '../../ports/db.js';
import type { AuditStore } from '../../ports/audit-store.js';
import { asDb, sql } from './db.js';
import type { Pool } from './pool.js';

interface AuditRow {
  id: number;
  project_id: number | null;
  actor: string;
  action: string;
  entity_kind: string;
  entity_key: string | null;
  before: unknown;
  after: unknown;
  created_at: Date;
}

export function createAuditStore(pool: Pool): AuditStore {
  return {
    /** Writes an entry; pass a transaction client to make it part of the change. */
    async write(entry: AuditInput, db: Db = asDb(pool)): Promise<void> {
      await sql(db).query(
        `INSERT INTO audit_log (project_id, actor, action, entity_kind, entity_key, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          entry.projectId,
          entry.actor,
          entry.action,
          entry.entityKind,
          entry.entityKey ?? null,
          entry.before === undefined ? null : JSON.stringify(entry.before),
          entry.after === undefined ? null : JSON.stringify(entry.after),
        ],
      );
    },
    /** Newest first, keyset-paginated by id. */
    async list(
      projectId: number,
      opts: { beforeId?: number; limit: number; entityKind?: string; entityKey?: string; actor?: string },
    ): Promise<AuditEntry[]> {
      const { rows } = await pool.query<AuditRow>(
        `SELECT id, project_id, actor, action, entity_kind, entity_key, before, after, created_at
           FROM audit_log
          WHERE project_id = $1 AND ($2::bigint IS NULL OR id < $2)
            AND ($3::text IS NULL OR entity_kind = $3) AND ($4::text IS NULL OR entity_key = $4)
            AND ($6::text IS NULL OR actor = $6)
          ORDER BY id DESC LIMIT $5`,
        [projectId, opts.beforeId ?? null, opts.entityKind ?? null, opts.entityKey ?? null, opts.limit, opts.actor ?? null],
      );
      return rows.map((r) => ({
        id: r.id,
        projectId: r.project_id,
        actor: r.actor,
        action: r.action,
        entityKind: r.entity_kind,
        entityKey: r.entity_key,
        before: r.before,
        after: r.after,
        createdAt: r.created_at.toISOString(),
      }));
    },
  };
}

