-- Up Migration
-- Which person properties were written by `$set_once`, and when (unix ms): an alias merge
-- keeps the earliest `$set_once` value of a key (PRODUCT.md 4.3), which needs to know
-- which values came from `$set_once` at all. `{ "<property key>": <unix ms> }`.
ALTER TABLE persons ADD COLUMN set_once_at jsonb NOT NULL DEFAULT '{}'::jsonb;
