-- Up Migration
-- Cohorts at PostHog's depth (issue 21, docs/cohorts.md):
-- * a project's time zone (IANA name, default UTC): calendar windows ("this month", "last
--   week"), months and years back, and the days/weeks of `regularly` are counted on wall-clock
--   time there. The API accepts IANA names its ICU knows (Intl.DateTimeFormat),
--   the same tz database PostgreSQL reads.
-- * who created a cohort: the admin key's name at creation (NULL for cohorts made before).
ALTER TABLE projects ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
ALTER TABLE cohorts ADD COLUMN created_by text;
-- list search by key or name (case-insensitive substring): trigram indexes would need pg_trgm;
-- a project holds at most a few thousand cohorts, so the (project_id, key) index and a filter suffice.
