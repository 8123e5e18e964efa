-- Up Migration
-- Live decisions and integrations (issue 20; docs/webhooks.md, docs/imports.md).
--
-- Webhooks: endpoints per project; a transactional outbox (`webhook_events`, written in the
-- same transaction as the change it describes, with one `webhook_deliveries` row per
-- subscribed endpoint); one `webhook_attempts` row per delivery attempt (the delivery log).
-- Import jobs: one row per job with its state and counts, and the first 1,000 failed rows.
-- Every table carries project_id (the schema's rule), child rows too.

CREATE TABLE webhook_endpoints (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id            bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  url                   text NOT NULL,
  description           text NOT NULL DEFAULT '',
  event_types           text[] NOT NULL,
  -- `whsec_` + base64 of 32 random bytes (Standard Webhooks)
  secret                text NOT NULL,
  enabled               boolean NOT NULL DEFAULT true,
  disabled_reason       text,
  -- failed attempts in a row; reset by a success
  consecutive_failures  integer NOT NULL DEFAULT 0,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_project_idx ON webhook_endpoints (project_id);

CREATE TABLE webhook_events (
  -- the Standard Webhooks message id (`webhook-id`): the same on every attempt
  id          text PRIMARY KEY,
  project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  type        text NOT NULL,
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_project_idx ON webhook_events (project_id, created_at);

CREATE TABLE webhook_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id         text NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
  endpoint_id      bigint NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  project_id       bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  -- pending -> delivered | failed (gave up after the retry window)
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  -- a dispatcher holds the delivery until then; a crashed one's hold simply expires
  locked_until     timestamptz,
  last_status      integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);

CREATE TABLE webhook_attempts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id  bigint NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  project_id   bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  status       integer,
  error        text,
  latency_ms   integer NOT NULL,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

CREATE TABLE import_jobs (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id       bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  -- queued -> running -> succeeded | failed | cancelled
  state            text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  -- 'events' (a mapping) or 'static_members' (a static cohort's distinct_ids)
  kind             text NOT NULL DEFAULT 'events',
  format           text NOT NULL,
  mapping          text,
  cohort_key       text,
  -- where the uploaded file is kept while the job runs (removed when it ends)
  file_path        text NOT NULL,
  file_bytes       bigint NOT NULL DEFAULT 0,
  actor            text NOT NULL,
  -- rows 1..committed_row are done: a resumed job starts after it
  committed_row    bigint NOT NULL DEFAULT 0,
  processed        bigint NOT NULL DEFAULT 0,
  skipped          bigint NOT NULL DEFAULT 0,
  stored           bigint NOT NULL DEFAULT 0,
  deduplicated     bigint NOT NULL DEFAULT 0,
  failed           bigint NOT NULL DEFAULT 0,
  person_updates   bigint NOT NULL DEFAULT 0,
  error            text,
  cancel_requested boolean NOT NULL DEFAULT false,
  -- the process running it holds it until then (renewed per batch)
  locked_until     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_jobs_project_idx ON import_jobs (project_id, id DESC);
CREATE INDEX import_jobs_open_idx ON import_jobs (state) WHERE state IN ('queued', 'running');

CREATE TABLE import_job_errors (
  job_id   bigint NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
  project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  row      bigint NOT NULL,
  field    text NOT NULL,
  message  text NOT NULL,
  PRIMARY KEY (job_id, row, field)
);

-- Down Migration
DROP TABLE import_job_errors;
DROP TABLE import_jobs;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhook_endpoints;
