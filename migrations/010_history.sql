-- Up Migration
-- History (issue 19, docs/history.md): who entered and left each cohort and when, and enough
-- of the past of definitions, cohort states, identities and person properties to replay the
-- handshake at any instant within the retention window.
--
-- Membership intervals are written by the application (the refresh's diff computed in Redis,
-- event-driven updates, alias merges). The other histories are written by triggers, in the
-- transaction of the change, so no write path can forget them. Times are clock_timestamp():
-- when the statement ran, just before its transaction commits.

-- Replay is exact from history_since on: now for projects that exist at this migration,
-- creation for later ones. Retention moves history_pruned_before forward.
ALTER TABLE projects ADD COLUMN history_since timestamptz NOT NULL DEFAULT now();
ALTER TABLE projects ADD COLUMN history_pruned_before timestamptz;

-- The last materialized version whose diff is in cohort_membership_history, and when the
-- recording began (membership before it is unknown).
ALTER TABLE cohorts ADD COLUMN history_version integer;
ALTER TABLE cohorts ADD COLUMN history_from timestamptz;

CREATE TABLE cohort_membership_history (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id       bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  cohort_id        bigint NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
  -- a person, or a static cohort's distinct id that no person holds yet
  person_id        bigint,
  distinct_id      text,
  entered_at       timestamptz NOT NULL,
  entered_version  integer NOT NULL,
  entered_via      text NOT NULL CHECK (entered_via IN ('refresh', 'static', 'event', 'recording_began')),
  left_at          timestamptz,
  left_version     integer,
  left_via         text CHECK (left_via IS NULL OR left_via IN ('refresh', 'static', 'event', 'alias', 'archived')),
  CHECK ((person_id IS NULL) <> (distinct_id IS NULL)),
  CHECK ((left_at IS NULL) = (left_via IS NULL))
);
-- at most one open interval per member and cohort (recording is idempotent on it)
CREATE UNIQUE INDEX cohort_membership_history_open_person ON cohort_membership_history (cohort_id, person_id)
  WHERE left_at IS NULL AND person_id IS NOT NULL;
CREATE UNIQUE INDEX cohort_membership_history_open_distinct ON cohort_membership_history (cohort_id, distinct_id)
  WHERE left_at IS NULL AND distinct_id IS NOT NULL;
CREATE INDEX cohort_membership_history_person ON cohort_membership_history (project_id, person_id, entered_at);
CREATE INDEX cohort_membership_history_distinct ON cohort_membership_history (project_id, distinct_id) WHERE distinct_id IS NOT NULL;
CREATE INDEX cohort_membership_history_entered ON cohort_membership_history (cohort_id, entered_at, id);
CREATE INDEX cohort_membership_history_left ON cohort_membership_history (cohort_id, left_at, id) WHERE left_at IS NOT NULL;

-- Definitions at every version (flags, configs, surveys); definition NULL: deleted.
CREATE TABLE definition_history (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  kind        text NOT NULL,
  key         text NOT NULL,
  version     integer,
  definition  jsonb,
  at          timestamptz NOT NULL
);
CREATE INDEX definition_history_at ON definition_history (project_id, at, id);

-- Cohort lifecycle states and live versions.
CREATE TABLE cohort_history (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  cohort_id   bigint NOT NULL,
  key         text NOT NULL,
  state       text NOT NULL,
  version     integer NOT NULL,
  as_of       timestamptz,
  at          timestamptz NOT NULL
);
CREATE INDEX cohort_history_at ON cohort_history (project_id, at, id);

-- Person properties and identified flag after every change; properties NULL: deleted.
CREATE TABLE person_history (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id     bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  person_id      bigint NOT NULL,
  bucketing_key  text NOT NULL,
  properties     jsonb,
  identified     boolean NOT NULL,
  at             timestamptz NOT NULL
);
CREATE INDEX person_history_person ON person_history (project_id, person_id, at DESC, id DESC);

-- Which person held a distinct id from when; person_id NULL: the id was removed.
CREATE TABLE identity_history (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id   bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  distinct_id  text NOT NULL,
  person_id    bigint,
  at           timestamptz NOT NULL
);
CREATE INDEX identity_history_distinct ON identity_history (project_id, distinct_id, at DESC, id DESC);
CREATE INDEX identity_history_person ON identity_history (project_id, person_id);

-- Triggers ------------------------------------------------------------------------------

CREATE FUNCTION switchboard_definition_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO definition_history (project_id, kind, key, version, definition, at)
    VALUES (OLD.project_id, TG_ARGV[0], OLD.key, NULL, NULL, clock_timestamp());
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.version = OLD.version AND NEW.definition = OLD.definition AND NEW.key = OLD.key THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.key <> OLD.key THEN
    INSERT INTO definition_history (project_id, kind, key, version, definition, at)
    VALUES (OLD.project_id, TG_ARGV[0], OLD.key, NULL, NULL, clock_timestamp());
  END IF;
  INSERT INTO definition_history (project_id, kind, key, version, definition, at)
  VALUES (NEW.project_id, TG_ARGV[0], NEW.key, NEW.version, NEW.definition, clock_timestamp());
  RETURN NEW;
END $$;
CREATE TRIGGER flags_history AFTER INSERT OR UPDATE OR DELETE ON flags FOR EACH ROW EXECUTE FUNCTION switchboard_definition_history('flag');
CREATE TRIGGER configs_history AFTER INSERT OR UPDATE OR DELETE ON configs FOR EACH ROW EXECUTE FUNCTION switchboard_definition_history('config');
CREATE TRIGGER surveys_history AFTER INSERT OR UPDATE OR DELETE ON surveys FOR EACH ROW EXECUTE FUNCTION switchboard_definition_history('survey');

CREATE FUNCTION switchboard_cohort_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.state = OLD.state AND NEW.version = OLD.version AND NEW.key = OLD.key
     AND NEW.last_calculated_at IS NOT DISTINCT FROM OLD.last_calculated_at THEN
    RETURN NEW;
  END IF;
  INSERT INTO cohort_history (project_id, cohort_id, key, state, version, as_of, at)
  VALUES (NEW.project_id, NEW.id, NEW.key, NEW.state, NEW.version, NEW.last_calculated_at, clock_timestamp());
  RETURN NEW;
END $$;
CREATE TRIGGER cohorts_history AFTER INSERT OR UPDATE ON cohorts FOR EACH ROW EXECUTE FUNCTION switchboard_cohort_history();

-- Persons and distinct ids change in bulk (ingest batches, imports): statement-level
-- triggers with transition tables write one INSERT ... SELECT per statement.
CREATE FUNCTION switchboard_person_history_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO person_history (project_id, person_id, bucketing_key, properties, identified, at)
  SELECT n.project_id, n.id, n.bucketing_key, n.properties, n.is_identified, clock_timestamp() FROM new_rows n;
  RETURN NULL;
END $$;
CREATE FUNCTION switchboard_person_history_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO person_history (project_id, person_id, bucketing_key, properties, identified, at)
  SELECT n.project_id, n.id, n.bucketing_key, n.properties, n.is_identified, clock_timestamp()
    FROM new_rows n JOIN old_rows o ON o.id = n.id
   WHERE n.properties IS DISTINCT FROM o.properties OR n.is_identified IS DISTINCT FROM o.is_identified;
  RETURN NULL;
END $$;
CREATE FUNCTION switchboard_person_history_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO person_history (project_id, person_id, bucketing_key, properties, identified, at)
  SELECT o.project_id, o.id, o.bucketing_key, NULL, o.is_identified, clock_timestamp() FROM old_rows o;
  RETURN NULL;
END $$;
CREATE TRIGGER persons_history_insert AFTER INSERT ON persons REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION switchboard_person_history_insert();
CREATE TRIGGER persons_history_update AFTER UPDATE ON persons REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION switchboard_person_history_update();
CREATE TRIGGER persons_history_delete AFTER DELETE ON persons REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION switchboard_person_history_delete();

CREATE FUNCTION switchboard_identity_history_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO identity_history (project_id, distinct_id, person_id, at)
  SELECT n.project_id, n.distinct_id, n.person_id, clock_timestamp() FROM new_rows n;
  RETURN NULL;
END $$;
CREATE FUNCTION switchboard_identity_history_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO identity_history (project_id, distinct_id, person_id, at)
  SELECT o.project_id, o.distinct_id, NULL, clock_timestamp() FROM old_rows o;
  RETURN NULL;
END $$;
CREATE TRIGGER person_distinct_ids_history_insert AFTER INSERT ON person_distinct_ids REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION switchboard_identity_history_upsert();
CREATE TRIGGER person_distinct_ids_history_update AFTER UPDATE ON person_distinct_ids REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION switchboard_identity_history_upsert();
CREATE TRIGGER person_distinct_ids_history_delete AFTER DELETE ON person_distinct_ids REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION switchboard_identity_history_delete();

-- What exists now, so replay from this migration on finds every current row.
INSERT INTO definition_history (project_id, kind, key, version, definition, at)
  SELECT project_id, 'flag', key, version, definition, LEAST(updated_at, now()) FROM flags
  UNION ALL SELECT project_id, 'config', key, version, definition, LEAST(updated_at, now()) FROM configs
  UNION ALL SELECT project_id, 'survey', key, version, definition, LEAST(updated_at, now()) FROM surveys;
INSERT INTO cohort_history (project_id, cohort_id, key, state, version, as_of, at)
  SELECT project_id, id, key, state, version, last_calculated_at, LEAST(updated_at, now()) FROM cohorts;
INSERT INTO person_history (project_id, person_id, bucketing_key, properties, identified, at)
  SELECT project_id, id, bucketing_key, properties, is_identified, LEAST(updated_at, now()) FROM persons;
INSERT INTO identity_history (project_id, distinct_id, person_id, at)
  SELECT project_id, distinct_id, person_id, LEAST(created_at, now()) FROM person_distinct_ids;
