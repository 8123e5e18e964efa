/** Import jobs (docs/imports.md): one row per job, its counts and its first failed rows. */

/** `uploading` (its file is being received) -> `queued` -> `running` -> `succeeded` | `failed` | `cancelled`. */
export type ImportJobState = 'uploading' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What a job imports: events (through a mapping) or a static cohort's members (its `cohortKey`). */
export type ImportJobKind = 'events' | 'static_members';

/** A job as stored. Times are ISO 8601; counts are rows. */
export interface ImportJob {
  id: number;
  projectId: number;
  state: ImportJobState;
  kind: ImportJobKind;
  format: 'csv' | 'ndjson';
  mapping: string | null;
  /** static_members: the static cohort the members go to */
  cohortKey: string | null;
  filePath: string;
  fileBytes: number;
  actor: string;
  committedRow: number;
  processed: number;
  skipped: number;
  stored: number;
  deduplicated: number;
  failed: number;
  personUpdates: number;
  error: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export interface ImportJobError {
  row: number;
  field: string;
  message: string;
}

export interface ImportJobStore {
  /**
   * A new job, `queued` (a file already on disk: the CLI's), or `uploading` held for `leaseMs`
   * (its file is still arriving; `uploaded` queues it, `finish` fails it).
   */
  create(j: { projectId: number; kind?: ImportJobKind; cohortKey?: string | null; format: 'csv' | 'ndjson'; mapping: string | null; filePath: string; fileBytes: number; actor: string; uploading?: { leaseMs: number } }): Promise<ImportJob>;
  /** the upload finished: `fileBytes` recorded, the job queued (cancelled when a cancel came meanwhile) */
  uploaded(jobId: number, fileBytes: number): Promise<ImportJob>;
  /** renews an uploading job's hold (a long upload) */
  renewUpload(jobId: number, leaseMs: number): Promise<void>;
  get(projectId: number, id: number): Promise<ImportJob | null>;
  list(projectId: number, page: { beforeId?: number; limit: number }): Promise<ImportJob[]>;
  /** the first `limit` failed rows, in row order */
  errors(jobId: number, limit: number): Promise<ImportJobError[]>;
  /**
   * Takes a queued job, or a running one whose holder's lease expired (a restart), for `leaseMs`;
   * null when none (or not that one, when `jobId` is given) can be taken. Uploading jobs whose
   * hold expired (their process died mid-upload) are failed first.
   */
  claim(owner: string, leaseMs: number, jobId?: number): Promise<ImportJob | null>;
  /**
   * Records one committed batch: counts added, `committedRow` moved, errors kept while fewer
   * than `maxErrors` are stored, the lease renewed. Returns whether a cancel was requested.
   */
  commitBatch(jobId: number, b: { committedRow: number; add: { processed: number; skipped: number; stored: number; deduplicated: number; failed: number; personUpdates: number }; errors: ImportJobError[]; maxErrors: number; leaseMs: number }): Promise<{ cancelRequested: boolean }>;
  finish(jobId: number, state: 'succeeded' | 'failed' | 'cancelled', error?: string): Promise<void>;
  /** lets another process take the job at once (a clean shutdown mid-job) */
  release(jobId: number): Promise<void>;
  /** asks a job to stop; a queued job is cancelled at once. Returns the job, or null when not found. */
  requestCancel(projectId: number, id: number): Promise<ImportJob | null>;
}
