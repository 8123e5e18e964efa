-- Up Migration
-- Helpers for the cohort SQL compiler (src/cohorts/compiler.ts, docs/cohorts.md): they read
-- jsonb property values as numbers or dates and answer NULL instead of raising on values
-- of another type, so one odd value ingested by an SDK can never fail a cohort query.

-- A jsonb value as numeric: numbers, and strings that spell a number ('42', ' -1.5e3 ').
CREATE FUNCTION sb_jsonb_numeric(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE jsonb_typeof(v)
    WHEN 'number' THEN v::numeric
    WHEN 'string' THEN CASE
      WHEN (v #>> '{}') ~ '^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,4})?\s*$' THEN (v #>> '{}')::numeric
    END
  END
$$;

-- An ISO 8601 date or date-time as timestamptz; no zone means UTC; anything else is NULL.
CREATE FUNCTION sb_try_timestamptz(v text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF v IS NULL OR v !~ '^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?\s*$' THEN
    RETURN NULL;
  END IF;
  IF v ~ '[T ][0-9]{2}:[0-9]{2}[0-9:.]*\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)\s*$' THEN
    RETURN v::timestamptz;
  END IF;
  RETURN v::timestamp AT TIME ZONE 'UTC';
EXCEPTION WHEN others THEN
  RETURN NULL; -- 2023-02-31, 25:00 and friends
END
$$;

-- A jsonb date as unix ms: numbers are unix ms already; strings go through sb_try_timestamptz.
CREATE FUNCTION sb_jsonb_date_ms(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE jsonb_typeof(v)
    WHEN 'number' THEN v::numeric
    WHEN 'string' THEN extract(epoch FROM sb_try_timestamptz(v #>> '{}')) * 1000
  END
$$;
