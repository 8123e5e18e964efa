/** The audit log (PRODUCT.md 7.1, 9): who changed what, with the document before and after. */

/** One stored audit entry. `createdAt` is ISO 8601. */
export interface AuditEntry {
  id: number;
  projectId: number | null;
  actor: string;
  action: string;
  entityKind: string;
  entityKey: string | null;
  before: unknown;
  after: unknown;
  createdAt: string;
}

/** An entry to write. */
export interface AuditInput {
  projectId: number | null;
  actor: string;
  action: string;
  entityKind: string;
  entityKey?: string | null;
  before?: unknown;
  after?: unknown;
}
