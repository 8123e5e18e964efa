-- Up Migration
-- The schema for the whole product (PRODUCT.md sections 2, 4, 6, 7, 9).
-- Every table carries project_id and every query filters by it.

CREATE TABLE projects (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            text NOT NULL,
  tier            text NOT NULL DEFAULT 'pro' CHECK (tier IN ('hobby', 'pro', 'growth', 'enterprise')),
  token           text NOT NULL UNIQUE,
  -- bumped by every definition or cohort-state change; API processes poll it to refresh memory
  definitions_version bigint NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Admin keys are stored as sha256 hex of the secret; the secret is shown once.
-- project_ids NULL means "every project" (the INIT_ADMIN_KEY and the bootstrap key).
CREATE TABLE admin_keys (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            text NOT NULL,
  key_hash        text NOT NULL UNIQUE,
  key_prefix      text NOT NULL,
  project_ids     bigint[],
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz,
  revoked_at      timestamptz
);

CREATE TABLE persons (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id      bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  -- fixed at creation: the first distinct_id ever seen (PRODUCT.md 5)
  bucketing_key   text NOT NULL,
  properties      jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- true once the person holds an identified id (target of an alias); guards account takeover
  is_identified   boolean NOT NULL DEFAULT false,
  first_seen      timestamptz,
  last_seen       timestamptz,
  event_count     bigint NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX persons_project_idx ON persons (project_id, id);
CREATE INDEX persons_properties_gin ON persons USING gin (properties jsonb_path_ops);

CREATE TABLE person_distinct_ids (
  project_id      bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  distinct_id     text NOT NULL,
  person_id       bigint NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, distinct_id)
);
CREATE INDEX person_distinct_ids_person_idx ON person_distinct_ids (person_id);

-- Events are immutable and keep their distinct_id; the person is found through
-- person_distinct_ids, so a merge moves events with their ids without rewriting them.
CREATE TABLE events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id      bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  event           text NOT NULL,
  distinct_id     text NOT NULL,
  time            timestamptz NOT NULL,
  insert_id       text NOT NULL,
  properties      jsonb NOT NULL DEFAULT '{}'::jsonb,
  received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX events_insert_id_key ON events (project_id, insert_id);
-- "events of name E for person P since time T"
CREATE INDEX events_person_idx ON events (project_id, distinct_id, event, time);
-- "who performed E in a window" (cohort compiler)
CREATE INDEX events_name_time_idx ON events (project_id, event text_pattern_ops, time);
CREATE INDEX events_time_idx ON events (project_id, time);
CREATE INDEX events_properties_gin ON events USING gin (properties jsonb_path_ops);

CREATE TABLE cohorts (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id          bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  key                 text NOT NULL,
  name                text NOT NULL,
  description         text NOT NULL DEFAULT '',
  kind                text NOT NULL CHECK (kind IN ('static', 'dynamic')),
  definition          jsonb,
  state               text NOT NULL DEFAULT 'building'
                        CHECK (state IN ('building', 'active', 'paused', 'archived')),
  -- edit version (optimistic concurrency on the definition)
  definition_version  integer NOT NULL DEFAULT 1,
  -- materialized version live in Redis, and the one being computed
  version             integer NOT NULL DEFAULT 0,
  pending_version     integer,
  member_count        integer NOT NULL DEFAULT 0,
  last_calculated_at  timestamptz,
  errors_calculating  integer NOT NULL DEFAULT 0,
  last_error_at       timestamptz,
  last_error_code     text,
  last_error_message  text,
  -- seconds; NULL means the tier's interval. Never faster than the tier's.
  refresh_interval_s  integer CHECK (refresh_interval_s IS NULL OR refresh_interval_s > 0),
  next_run_at         timestamptz,
  lease_owner         text,
  lease_expires_at    timestamptz,
  archived_at         timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, key)
);
CREATE INDEX cohorts_due_idx ON cohorts (next_run_at) WHERE state IN ('building', 'active');

CREATE TABLE static_cohort_members (
  project_id      bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  cohort_id       bigint NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
  distinct_id     text NOT NULL,
  added_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cohort_id, distinct_id)
);
CREATE INDEX static_cohort_members_distinct_idx ON static_cohort_members (project_id, distinct_id);

CREATE TABLE cohort_calculations (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id      bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  cohort_id       bigint NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
  version         integer NOT NULL,
  worker          text,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz,
  duration_ms     integer,
  member_count    integer,
  error_code      text CHECK (error_code IS NULL OR error_code IN ('timeout', 'memory_limit',
                    'query_size', 'invalid_regex', 'incompatible_types', 'no_properties',
                    'validation_error', 'interrupted', 'capacity')),
  error_message   text,
  -- query statistics: rows scanned, planning/execution time, redis bytes written, ...
  stats           jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX cohort_calculations_cohort_idx ON cohort_calculations (cohort_id, started_at DESC);

-- flags, configs and surveys share one shape: the definition document plus bookkeeping.
CREATE TABLE flags (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id      bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  key             text NOT NULL,
  definition      jsonb NOT NULL,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, key)
);

CREATE TABLE configs (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id      bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  key             text NOT NULL,
  definition      jsonb NOT NULL,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, key)
);

CREATE TABLE surveys (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id      bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  key             text NOT NULL,
  definition      jsonb NOT NULL,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, key)
);

-- Who changed what: every definition change, cohort change, key change and GDPR erasure.
CREATE TABLE audit_log (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id      bigint REFERENCES projects(id) ON DELETE CASCADE,
  actor           text NOT NULL,
  action          text NOT NULL,
  entity_kind     text NOT NULL,
  entity_key      text,
  before          jsonb,
  after           jsonb,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_project_idx ON audit_log (project_id, id DESC);
