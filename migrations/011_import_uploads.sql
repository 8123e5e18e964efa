-- Up Migration
-- Import jobs exist while their file uploads (issue 20, docs/imports.md): a job row is created in
-- state `uploading` before the body is read, so an upload over IMPORT_MAX_BYTES (or cut off) leaves
-- a `failed` job naming why. No runner claims an uploading job; one whose process died mid-upload
-- (its lease expired) is failed by the next claim.
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_state_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_state_check CHECK (state IN ('uploading', 'queued', 'running', 'succeeded', 'failed', 'cancelled'));
DROP INDEX import_jobs_open_idx;
CREATE INDEX import_jobs_open_idx ON import_jobs (state) WHERE state IN ('uploading', 'queued', 'running');

-- Down Migration
UPDATE import_jobs SET state = 'failed', error = 'upload interrupted (migration rolled back)' WHERE state = 'uploading';
DROP INDEX import_jobs_open_idx;
CREATE INDEX import_jobs_open_idx ON import_jobs (state) WHERE state IN ('queued', 'running');
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_state_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_state_check CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled'));
