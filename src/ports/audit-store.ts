import type { AuditEntry, AuditInput } from '../domain/audit.js';
import type { Db } from './db.js';

/** The audit log. */
export interface AuditStore {
  /** writes an entry; pass a transaction to make it part of the change */
  write(entry: AuditInput, db?: Db): Promise<void>;
  /** newest first, keyset-paginated by id */
  list(projectId: number, opts: { beforeId?: number; limit: number; entityKind?: string; entityKey?: string; actor?: string }): Promise<AuditEntry[]>;
}
