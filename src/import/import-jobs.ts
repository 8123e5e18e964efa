/**
 * Import jobs (docs/imports.md): a file (CSV or NDJSON, gzipped or not) is written to disk as
 * it arrives (streamed, never held in memory), a job row records it, and a runner imports it
 * through the ingest path batch by batch. After each committed batch the job row gets its
 * counts, its `committed_row` and its failed rows (the first 1,000), so progress can be read
 * while it runs and a job whose process stopped resumes after the last committed batch (the
 * batch in flight is sent again; the ingest path's insert-id dedup stores it once).
 * A cancel stops the job after the batch in flight. The CLI's `import` runs the same job.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { AppError, invalid, notFound } from '../errors.js';
import type { ImportJob, ImportJobStore } from '../ports/import-job-store.js';
import type { IngestService } from '../services/ingest.js';
import type { PeopleService } from '../services/people.js';
import { importFile, MAPPINGS } from './import-file.js';
import type { ImportFormat } from './sources.js';

/** Failed rows kept per job. */
export const MAX_JOB_ERRORS = 1_000;
const LEASE_MS = 60_000;

export interface ImportJobsDeps {
  store: ImportJobStore;
  ingest: Pick<IngestService, 'ingest'>;
  people: Pick<PeopleService, 'apply'>;
  logger: Logger;
  /** where uploads are written (default: `<tmp>/switchboard-imports`) */
  dir?: string;
  batchSize?: number;
  /** this process's name in the job's lease */
  owner?: string;
}

/** A job as the API shows it. */
export function jobView(j: ImportJob, errors?: Array<{ row: number; field: string; message: string }>) {
  return {
    id: j.id,
    state: j.state,
    format: j.format,
    mapping: j.mapping,
    file_bytes: j.fileBytes,
    counts: { processed: j.processed, skipped: j.skipped, stored: j.stored, deduplicated: j.deduplicated, failed: j.failed, person_updates: j.personUpdates },
    committed_row: j.committedRow,
    cancel_requested: j.cancelRequested,
    error: j.error,
    created_at: j.createdAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
    updated_at: j.updatedAt,
    ...(errors ? { errors } : {}),
  };
}

export function createImportJobs(deps: ImportJobsDeps) {
  const dir = deps.dir ?? path.join(os.tmpdir(), 'switchboard-imports');
  const owner = deps.owner ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** jobs running in this process, with their stop switch */
  const running = new Map<number, { abort: AbortController; done: Promise<void> }>();
  let stopped = false;

  function options(format: unknown, mapping: unknown): { format: ImportFormat; mapping: string | null } {
    if (mapping !== undefined && (typeof mapping !== 'string' || !MAPPINGS[mapping])) throw invalid(`mapping: unknown mapping (known: ${Object.keys(MAPPINGS).join(', ')})`);
    const m = typeof mapping === 'string' ? MAPPINGS[mapping] : undefined;
    const f = format ?? m?.format ?? 'csv';
    if (f !== 'csv' && f !== 'ndjson') throw invalid('format: must be csv or ndjson');
    return { format: f, mapping: (mapping as string | undefined) ?? null };
  }

  /** Runs one claimed job to its end (or until stopped/cancelled). */
  async function run(job: ImportJob, keepFile: boolean): Promise<ImportJob> {
    const abort = new AbortController();
    let resolveDone!: () => void;
    running.set(job.id, { abort, done: new Promise<void>((r) => (resolveDone = r)) });
    const prev = { processed: 0, skipped: 0, stored: 0, deduplicated: 0, failed: 0, personUpdates: 0 };
    let cancelled = false;
    try {
      const report = await importFile({
        ingest: deps.ingest, people: deps.people, projectId: job.projectId, file: job.filePath, format: job.format, mapping: job.mapping ?? undefined,
        batchSize: deps.batchSize, afterRow: job.committedRow, signal: abort.signal, maxErrors: MAX_JOB_ERRORS,
        onBatch: async (b) => {
          const now = { processed: b.totals.rows, skipped: b.totals.skipped, stored: b.totals.stored, deduplicated: b.totals.deduplicated, failed: b.totals.rejected, personUpdates: b.totals.personUpdates };
          const add = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - prev[k as keyof typeof prev]])) as typeof now;
          Object.assign(prev, now);
          const r = await deps.store.commitBatch(job.id, { committedRow: b.lastRow, add, errors: b.problems, maxErrors: MAX_JOB_ERRORS, leaseMs: LEASE_MS });
          if (r.cancelRequested) {
            cancelled = true;
            abort.abort();
          }
        },
      });
      if (report.aborted && !cancelled) cancelled = (await deps.store.get(job.projectId, job.id))?.cancelRequested ?? false;
      if (report.aborted && !cancelled) {
        // stopped (shutdown): another process (or this one after a restart) resumes it
        await deps.store.release(job.id);
      } else {
        await deps.store.finish(job.id, cancelled ? 'cancelled' : 'succeeded');
        if (!keepFile) await rm(job.filePath, { force: true });
      }
    } catch (err) {
      const message = (err as Error).message;
      deps.logger.warn({ err, job: job.id }, 'import job failed');
      if (stopped) await deps.store.release(job.id).catch(() => {});
      else {
        await deps.store.finish(job.id, 'failed', message).catch(() => {});
        if (!keepFile) await rm(job.filePath, { force: true });
      }
    } finally {
      running.delete(job.id);
      resolveDone();
    }
    return (await deps.store.get(job.projectId, job.id))!;
  }

  /** Claims and runs open jobs (queued, or left running by a stopped process) until none is left. */
  async function drain(): Promise<void> {
    while (!stopped) {
      const job = await deps.store.claim(owner, LEASE_MS);
      if (!job) return;
      await run(job, false);
    }
  }

  function kick(): void {
    void drain().catch((err) => deps.logger.warn({ err }, 'import job runner failed'));
  }

  return {
    /**
     * `POST …/imports`: writes `body` to disk as it arrives, creates a queued job and starts it.
     * `format` csv|ndjson (default: the mapping's, else csv), `mapping` a name in MAPPINGS,
     * `gzip` when the body is gzipped. Returns the job (state `queued` or `running`).
     */
    async upload(projectId: number, actor: string, opts: { format?: unknown; mapping?: unknown; gzip?: boolean }, body: Readable) {
      const o = options(opts.format, opts.mapping);
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${randomUUID()}.${o.format}${opts.gzip ? '.gz' : ''}`);
      await pipeline(body, createWriteStream(file));
      const size = (await stat(file)).size;
      if (size === 0) {
        await rm(file, { force: true });
        throw invalid('body: the file is empty');
      }
      const job = await deps.store.create({ projectId, format: o.format, mapping: o.mapping, filePath: file, fileBytes: size, actor });
      kick();
      return jobView(job);
    },

    /**
     * The CLI's import: a job over a local file (kept afterwards), run in this process to its
     * end; `onProgress` is told the job after each batch.
     */
    async runLocal(projectId: number, actor: string, file: string, opts: { format?: ImportFormat; mapping?: string }, onProgress?: (j: ImportJob) => void): Promise<ImportJob> {
      const o = options(opts.format ?? (opts.mapping ? undefined : /\.(nd)?jsonl?(\.gz)?$/i.test(file) ? 'ndjson' : undefined), opts.mapping);
      const size = (await stat(file)).size;
      const created = await deps.store.create({ projectId, format: o.format, mapping: o.mapping, filePath: path.resolve(file), fileBytes: size, actor });
      const job = await deps.store.claim(owner, LEASE_MS, created.id);
      if (!job) throw new AppError('conflict', `import job ${created.id} could not be started`);
      const timer = onProgress ? setInterval(() => void deps.store.get(projectId, job.id).then((j) => j && onProgress(j)), 1_000) : null;
      try {
        return await run(job, true);
      } finally {
        if (timer) clearInterval(timer);
      }
    },

    async get(projectId: number, id: number) {
      const j = await deps.store.get(projectId, id);
      if (!j) throw notFound(`import job ${id} not found`);
      return jobView(j, await deps.store.errors(id, MAX_JOB_ERRORS));
    },

    list: async (projectId: number, page: { beforeId?: number; limit: number }) => (await deps.store.list(projectId, page)).map((j) => jobView(j)),

    async cancel(projectId: number, id: number) {
      const j = await deps.store.requestCancel(projectId, id);
      if (!j) throw notFound(`import job ${id} not found`);
      if (j.state !== 'queued' && j.state !== 'running' && j.state !== 'cancelled') throw new AppError('conflict', `import job ${id} already ${j.state}`);
      running.get(id)?.abort.abort();
      return jobView(j);
    },

    /** Resumes open jobs (after a restart). */
    start(): void {
      stopped = false;
      kick();
    },

    /** Stops running jobs after their batch in flight; they stay open for the next process. */
    async stop(): Promise<void> {
      stopped = true;
      for (const r of running.values()) r.abort.abort();
      await Promise.all([...running.values()].map((r) => r.done));
    },

    /** Waits until no job runs in this process (tests). */
    async idle(): Promise<void> {
      while (running.size) await Promise.all([...running.values()].map((r) => r.done));
    },
  };
}

export type ImportJobs = ReturnType<typeof createImportJobs>;
