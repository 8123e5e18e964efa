-- Up Migration
-- Events partitioned by month (PRODUCT.md 13; docs/scaling.md "Events"): PostgreSQL
-- declarative range partitioning on `time`. Forward-only and lossless: every row of the old
-- table is copied, in this migration's one transaction, before the old table is dropped.
--
-- * A unique index on a partitioned table must include the partition key, so `insert_id`
--   deduplication moves to `event_ids` (project, insert_id → time), unpartitioned: an event
--   is stored only when its insert id is new there (one statement, event-store.ts).
-- * `events_default` takes times no monthly partition covers (imports of old history); the
--   refresher's maintenance moves such rows into their own month (partition-maintenance.ts)
--   and keeps partitions created ahead of time.
-- * `id` keeps its values (a sequence now: identity columns cannot be partitioned here).

CREATE TABLE event_ids (
  project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  insert_id   text NOT NULL,
  time        timestamptz NOT NULL,
  PRIMARY KEY (project_id, insert_id)
);
-- retention prunes old insert ids with their events
CREATE INDEX event_ids_time_idx ON event_ids (time);

CREATE SEQUENCE events_partitioned_id_seq AS bigint;

CREATE TABLE events_partitioned (
  id              bigint NOT NULL DEFAULT nextval('events_partitioned_id_seq'),
  project_id      bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  event           text NOT NULL,
  distinct_id     text NOT NULL,
  time            timestamptz NOT NULL,
  insert_id       text NOT NULL,
  properties      jsonb NOT NULL DEFAULT '{}'::jsonb,
  received_at     timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (time);

CREATE TABLE events_default PARTITION OF events_partitioned DEFAULT;

-- One partition per month from the oldest event's month (or this month) to two months ahead
-- (events are at most 24 hours in the future).
-- Months are UTC months; bounds are written with an explicit +00 offset.
DO $$
DECLARE
  m date := date_trunc('month', LEAST(COALESCE((SELECT min(time) FROM events), now()), now()) AT TIME ZONE 'UTC')::date;
  last date := (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months')::date;
BEGIN
  WHILE m <= last LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF events_partitioned FOR VALUES FROM (%L) TO (%L)',
      'events_' || to_char(m, '"y"YYYY"m"MM'), m::text || ' 00:00:00+00', (m + interval '1 month')::date::text || ' 00:00:00+00');
    m := (m + interval '1 month')::date;
  END LOOP;
END $$;

INSERT INTO events_partitioned (id, project_id, event, distinct_id, time, insert_id, properties, received_at)
  SELECT id, project_id, event, distinct_id, time, insert_id, properties, received_at FROM events;
INSERT INTO event_ids (project_id, insert_id, time) SELECT project_id, insert_id, time FROM events;
SELECT setval('events_partitioned_id_seq', GREATEST((SELECT max(id) FROM events), 1), (SELECT max(id) IS NOT NULL FROM events));

DROP TABLE events;
ALTER TABLE events_partitioned RENAME TO events;
ALTER SEQUENCE events_partitioned_id_seq RENAME TO events_id_seq;
ALTER SEQUENCE events_id_seq OWNED BY events.id;

-- The old table's indexes, on every partition (present and future).
-- "events of name E for person P since time T"
CREATE INDEX events_person_idx ON events (project_id, distinct_id, event, time);
-- "who performed E in a window" (cohort compiler)
CREATE INDEX events_name_time_idx ON events (project_id, event text_pattern_ops, time);
CREATE INDEX events_time_idx ON events (project_id, time);
CREATE INDEX events_properties_gin ON events USING gin (properties jsonb_path_ops);
-- No index on id: nothing looks an event up by id (a person's events page by distinct_id,
-- time, id), and the old primary key's index is replaced by event_ids' (same count of indexes
-- per stored event as before).

-- Days of events a project keeps (NULL: forever). Whole partitions are dropped once every
-- project's retention has passed them; shorter ones delete rows (partition-maintenance.ts).
ALTER TABLE projects ADD COLUMN event_retention_days integer CHECK (event_retention_days IS NULL OR event_retention_days >= 1);
