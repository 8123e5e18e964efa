-- Up Migration
-- Issue 16: behavioural cohorts ("purchase at least 3 times in the last 30 days") read the
-- distinct ids of one event name in a time range. With distinct_id in the index, PostgreSQL
-- answers that with an index-only scan instead of fetching every matching row from the heap
-- (bench/results/cohorts-plans-*.txt). The covering index replaces events_name_time_idx
-- (same key, same text_pattern_ops for event-name prefixes), on every partition.
CREATE INDEX events_name_time_did_idx ON events (project_id, event text_pattern_ops, time) INCLUDE (distinct_id);
DROP INDEX events_name_time_idx;
