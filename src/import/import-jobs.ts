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
import { Transform, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import { AppError, invalid, notFound } from '../errors.js';
import type { ImportJob, ImportJobKind, ImportJobStore } from '../ports/import-job-store.js';
import type { IngestService } from '../services/ingest.js';
import type { PeopleService } from '../services/people.js';
import type { StaticMembersService } from '../services/static-members.js';
import { importFile, MAPPINGS } from './import-file.js';
import { importMembers } from './member-import.js';
import type { ImportFormat } from './sources.js';

/** Failed rows kept per job. */
export const MAX_JOB_ERRORS = 1_000;
const LEASE_MS = 60_000;
/** Default IMPORT_MAX_BYTES (config.ts). */
export const DEFAULT_IMPORT_MAX_BYTES = 1024 ** 3;

/** The upload passed the size limit. */
class UploadTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the file is larger than the limit of ${limit} bytes (IMPORT_MAX_BYTES)`);
  }
}

/**
 * Writes `body` to `file` as it arrives, counting bytes; rejects with UploadTooLarge past
 * `maxBytes` (the rest of the body is left unread: the caller answers 413 and closes the
 * connection) or with an Error when the client goes away first. Resolves with the size.
 */
function receive(body: Readable, file: string, maxBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let settled = false;
    const out = createWriteStream(file);
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        if (received > maxBytes) {
          fail(new UploadTooLarge(maxBytes));
          return done();
        }
        done(null, chunk);
      },
    });
    function fail(err: Error): void {
      if (settled) return;
      settled = true;
      body.unpipe(counter);
      counter.destroy();
      out.destroy();
      reject(err);
    }
    const gone = () => {
      if (!body.readableEnded) fail(new Error('the client closed the connection before the file was complete'));
    };
    body.on('error', fail);
    body.on('close', gone);
    if (body.destroyed) return gone(); // it went while the request was authenticated
    out.on('error', fail);
    out.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve(received);
    });
    counter.pipe(out);
    body.pipe(counter);
  });
}

export interface ImportJobsDeps {
  store: ImportJobStore;
  ingest: Pick<IngestService, 'ingest'>;
  people: Pick<PeopleService, 'apply'>;
  /** static-cohort member imports (`kind: static_members`) */
  members?: Pick<StaticMembersService, 'check' | 'importBatch' | 'rematerialize'>;
  logger: Logger;
  /** largest upload in bytes as sent (default 1 GiB) */
  maxBytes?: number;
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
    kind: j.kind,
    ...(j.kind === 'static_members' ? { cohort: j.cohortKey } : {}),
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

  const maxBytes = deps.maxBytes ?? DEFAULT_IMPORT_MAX_BYTES;

  function members() {
    if (!deps.members) throw new AppError('unavailable', 'static cohort member imports are not wired in this process');
    return deps.members;
  }

  function options(format: unknown, mapping: unknown, kind: ImportJobKind = 'events', cohort?: unknown): { kind: ImportJobKind; cohortKey: string | null; format: ImportFormat; mapping: string | null } {
    if (kind === 'static_members') {
      if (typeof cohort !== 'string' || cohort === '') throw invalid('cohort: required with kind=static_members (the static cohort\'s key)');
      if (mapping !== undefined) throw invalid('mapping: not used with kind=static_members (the file lists distinct_ids)');
      const f = format ?? 'csv';
      if (f !== 'csv' && f !== 'ndjson') throw invalid('format: must be csv or ndjson');
      return { kind, cohortKey: cohort, format: f, mapping: null };
    }
    if (cohort !== undefined) throw invalid('cohort: only with kind=static_members');
    return { kind, cohortKey: null, ...eventOptions(format, mapping) };
  }

  function eventOptions(format: unknown, mapping: unknown): { format: ImportFormat; mapping: string | null } {
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
    const onBatch = async (b: { lastRow: number; totals: { rows: number; skipped: number; stored: number; deduplicated: number; rejected: number; personUpdates: number }; problems: Array<{ row: number; field: string; message: string }> }) => {
      const now = { processed: b.totals.rows, skipped: b.totals.skipped, stored: b.totals.stored, deduplicated: b.totals.deduplicated, failed: b.totals.rejected, personUpdates: b.totals.personUpdates };
      const add = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - prev[k as keyof typeof prev]])) as typeof now;
      Object.assign(prev, now);
      const r = await deps.store.commitBatch(job.id, { committedRow: b.lastRow, add, errors: b.problems, maxErrors: MAX_JOB_ERRORS, leaseMs: LEASE_MS });
      if (r.cancelRequested) {
        cancelled = true;
        abort.abort();
      }
    };
    const common = { batchSize: deps.batchSize, afterRow: job.committedRow, signal: abort.signal, maxErrors: MAX_JOB_ERRORS, onBatch };
    // A member import's committed batches are served when the job ends, whatever the end: one
    // rematerialization before the final state (or the cohort is left due for the refresher).
    const ended = async () => {
      if (job.kind !== 'static_members' || !job.cohortKey) return;
      await members()
        .rematerialize(job.projectId, job.cohortKey)
        .catch((err) => deps.logger.warn({ err, job: job.id }, 'import job: cohort rematerialization failed; the refresher will'));
    };
    try {
      const report =
        job.kind === 'static_members'
          ? await importMembers({ ...common, file: job.filePath, format: job.format, apply: (ids) => members().importBatch(job.actor, job.projectId, job.cohortKey!, ids, job.id) })
          : await importFile({ ...common, ingest: deps.ingest, people: deps.people, projectId: job.projectId, file: job.filePath, format: job.format, mapping: job.mapping ?? undefined });
      if (report.aborted && !cancelled) cancelled = (await deps.store.get(job.projectId, job.id))?.cancelRequested ?? false;
      if (report.aborted && !cancelled) {
        // stopped (shutdown): another process (or this one after a restart) resumes it
        await deps.store.release(job.id);
      } else {
        await ended();
        await deps.store.finish(job.id, cancelled ? 'cancelled' : 'succeeded');
        if (!keepFile) await rm(job.filePath, { force: true });
      }
    } catch (err) {
      const message = (err as Error).message;
      deps.logger.warn({ err, job: job.id }, 'import job failed');
      if (stopped) await deps.store.release(job.id).catch(() => {});
      else {
        await ended();
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
     * `POST …/imports`: creates an `uploading` job, writes `body` to disk as it arrives, then
     * queues the job and starts it. `kind` events (default) or static_members (`cohort`: a static
     * cohort's key, checked first: 404/409); `format` csv|ndjson (default: the mapping's, else
     * csv), `mapping` a name in MAPPINGS (events only), `gzip` when the body is gzipped,
     * `declaredBytes` the Content-Length if sent. Returns the job (state `queued` or `running`).
     * Errors: 400 naming the parameter; 413 when `declaredBytes` passes `maxBytes` (no job) or the
     * body does (the job is failed with that reason, the partial file removed); 400 empty body
     * (the job is failed). A client that goes away mid-upload leaves a failed job.
     */
    async upload(projectId: number, actor: string, opts: { kind?: ImportJobKind; cohort?: unknown; format?: unknown; mapping?: unknown; gzip?: boolean; declaredBytes?: number }, body: Readable) {
      const o = options(opts.format, opts.mapping, opts.kind, opts.cohort);
      if (o.kind === 'static_members') await members().check(projectId, o.cohortKey!);
      if (opts.declaredBytes !== undefined && opts.declaredBytes > maxBytes) {
        throw new AppError('payload_too_large', `body: ${new UploadTooLarge(maxBytes).message}; Content-Length says ${opts.declaredBytes}`, { limit_bytes: maxBytes });
      }
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${randomUUID()}.${o.format}${opts.gzip ? '.gz' : ''}`);
      const job = await deps.store.create({ projectId, kind: o.kind, cohortKey: o.cohortKey, format: o.format, mapping: o.mapping, filePath: file, fileBytes: 0, actor, uploading: { leaseMs: LEASE_MS } });
      const renew = setInterval(() => void deps.store.renewUpload(job.id, LEASE_MS).catch(() => {}), LEASE_MS / 3);
      renew.unref();
      let size: number;
      try {
        size = await receive(body, file, maxBytes);
      } catch (err) {
        await rm(file, { force: true });
        const reason = err instanceof UploadTooLarge ? err.message : `the upload was interrupted: ${(err as Error).message}`;
        await deps.store.finish(job.id, 'failed', reason);
        if (err instanceof UploadTooLarge) throw new AppError('payload_too_large', `body: ${reason}; import job ${job.id} failed`, { limit_bytes: maxBytes, job_id: job.id });
        throw err;
      } finally {
        clearInterval(renew);
      }
      if (size === 0) {
        await rm(file, { force: true });
        await deps.store.finish(job.id, 'failed', 'the file is empty');
        throw invalid('body: the file is empty', { job_id: job.id });
      }
      const queued = await deps.store.uploaded(job.id, size);
      kick();
      return jobView(queued);
    },

    /**
     * The CLI's import: a job over a local file (kept afterwards), run in this process to its
     * end; `onProgress` is told the job after each batch.
     */
    async runLocal(projectId: number, actor: string, file: string, opts: { format?: ImportFormat; mapping?: string }, onProgress?: (j: ImportJob) => void): Promise<ImportJob> {
      const o = eventOptions(opts.format ?? (opts.mapping ? undefined : /\.(nd)?jsonl?(\.gz)?$/i.test(file) ? 'ndjson' : undefined), opts.mapping);
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
      if (j.state !== 'uploading' && j.state !== 'queued' && j.state !== 'running' && j.state !== 'cancelled') throw new AppError('conflict', `import job ${id} already ${j.state}`);
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
