import type { ImportJob, ImportJobStore } from '../../ports/import-job-store.js';
import type { Pool } from './pool.js';

interface Row {
  id: string; project_id: string; state: ImportJob['state']; kind: ImportJob['kind']; format: 'csv' | 'ndjson'; mapping: string | null; cohort_key: string | null; file_path: string; file_bytes: string; actor: string;
  committed_row: string; processed: string; skipped: string; stored: string; deduplicated: string; failed: string; person_updates: string; error: string | null; cancel_requested: boolean;
  created_at: Date; started_at: Date | null; finished_at: Date | null; updated_at: Date;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const jobOf = (r: Row): ImportJob => ({
  id: Number(r.id), projectId: Number(r.project_id), state: r.state, kind: r.kind, format: r.format, mapping: r.mapping, cohortKey: r.cohort_key, filePath: r.file_path, fileBytes: Number(r.file_bytes), actor: r.actor,
  committedRow: Number(r.committed_row), processed: Number(r.processed), skipped: Number(r.skipped), stored: Number(r.stored), deduplicated: Number(r.deduplicated), failed: Number(r.failed),
  personUpdates: Number(r.person_updates), error: r.error, cancelRequested: r.cancel_requested, createdAt: r.created_at.toISOString(), startedAt: iso(r.started_at), finishedAt: iso(r.finished_at),
  updatedAt: r.updated_at.toISOString(),
});

/** ImportJobStore over PostgreSQL (migrations/007_live.sql). */
export function createImportJobStore(pool: Pool): ImportJobStore {
  return {
    async create(j) {
      const { rows } = await pool.query<Row>(
        `INSERT INTO import_jobs (project_id, kind, cohort_key, format, mapping, file_path, file_bytes, actor, state, locked_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $10::double precision IS NULL THEN NULL ELSE now() + make_interval(secs => $10::double precision / 1000) END)
         RETURNING *`,
        [j.projectId, j.kind ?? 'events', j.cohortKey ?? null, j.format, j.mapping, j.filePath, j.fileBytes, j.actor, j.uploading ? 'uploading' : 'queued', j.uploading?.leaseMs ?? null],
      );
      return jobOf(rows[0]);
    },
    async uploaded(jobId, fileBytes) {
      const { rows } = await pool.query<Row>(
        `UPDATE import_jobs SET file_bytes = $2, locked_until = NULL, updated_at = now(),
                state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END,
                finished_at = CASE WHEN cancel_requested THEN now() ELSE finished_at END
          WHERE id = $1 AND state = 'uploading' RETURNING *`,
        [jobId, fileBytes],
      );
      if (!rows[0]) throw new Error(`import job ${jobId} is no longer uploading`);
      return jobOf(rows[0]);
    },
    async renewUpload(jobId, leaseMs) {
      await pool.query(`UPDATE import_jobs SET locked_until = now() + make_interval(secs => $2::double precision / 1000), updated_at = now() WHERE id = $1 AND state = 'uploading'`, [jobId, leaseMs]);
    },
    async get(projectId, id) {
      const { rows } = await pool.query<Row>('SELECT * FROM import_jobs WHERE project_id = $1 AND id = $2', [projectId, id]);
      return rows[0] ? jobOf(rows[0]) : null;
    },
    async list(projectId, page) {
      const { rows } = await pool.query<Row>('SELECT * FROM import_jobs WHERE project_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3', [projectId, page.beforeId ?? null, page.limit]);
      return rows.map(jobOf);
    },
    async errors(jobId, limit) {
      const { rows } = await pool.query<{ row: string; field: string; message: string }>('SELECT row, field, message FROM import_job_errors WHERE job_id = $1 ORDER BY row, field LIMIT $2', [jobId, limit]);
      return rows.map((r) => ({ row: Number(r.row), field: r.field, message: r.message }));
    },
    async claim(_owner, leaseMs, jobId) {
      await pool.query(
        `UPDATE import_jobs SET state = 'failed', error = 'the upload was interrupted (its process stopped before the file was complete)', finished_at = now(), updated_at = now(), locked_until = NULL
          WHERE state = 'uploading' AND locked_until < now()`,
      );
      const { rows } = await pool.query<Row>(
        `UPDATE import_jobs SET state = 'running', locked_until = now() + make_interval(secs => $1::double precision / 1000), started_at = COALESCE(started_at, now()), updated_at = now()
          WHERE id = (SELECT id FROM import_jobs
                       WHERE state IN ('queued', 'running') AND NOT cancel_requested AND (locked_until IS NULL OR locked_until < now()) AND ($2::bigint IS NULL OR id = $2)
                       ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING *`,
        [leaseMs, jobId ?? null],
      );
      return rows[0] ? jobOf(rows[0]) : null;
    },
    async commitBatch(jobId, b) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ cancel_requested: boolean; n: string }>(
          `UPDATE import_jobs SET committed_row = GREATEST(committed_row, $2), processed = processed + $3, skipped = skipped + $4, stored = stored + $5,
                  deduplicated = deduplicated + $6, failed = failed + $7, person_updates = person_updates + $8, updated_at = now(),
                  locked_until = now() + make_interval(secs => $9::double precision / 1000)
            WHERE id = $1
            RETURNING cancel_requested, (SELECT count(*) FROM import_job_errors WHERE job_id = $1)::text AS n`,
          [jobId, b.committedRow, b.add.processed, b.add.skipped, b.add.stored, b.add.deduplicated, b.add.failed, b.add.personUpdates, b.leaseMs],
        );
        const room = Math.max(0, b.maxErrors - Number(rows[0]?.n ?? 0));
        const keep = b.errors.slice(0, room);
        if (keep.length) {
          await client.query(
            `INSERT INTO import_job_errors (job_id, project_id, row, field, message)
             SELECT $1, (SELECT project_id FROM import_jobs WHERE id = $1), * FROM unnest($2::bigint[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
            [jobId, keep.map((e) => e.row), keep.map((e) => e.field), keep.map((e) => e.message.slice(0, 1000))],
          );
        }
        await client.query('COMMIT');
        return { cancelRequested: rows[0]?.cancel_requested ?? false };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async finish(jobId, state, error) {
      await pool.query(`UPDATE import_jobs SET state = $2, error = $3, finished_at = now(), updated_at = now(), locked_until = NULL WHERE id = $1`, [jobId, state, error ?? null]);
    },
    async release(jobId) {
      await pool.query(`UPDATE import_jobs SET locked_until = NULL WHERE id = $1 AND state = 'running'`, [jobId]);
    },
    async requestCancel(projectId, id) {
      const { rows } = await pool.query<Row>(
        `UPDATE import_jobs SET cancel_requested = true, updated_at = now(),
                state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END
          WHERE project_id = $1 AND id = $2 RETURNING *`,
        [projectId, id],
      );
      return rows[0] ? jobOf(rows[0]) : null;
    },
  };
}
