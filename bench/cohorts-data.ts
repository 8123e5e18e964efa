/**
 * The scale data set of `npm run bench:cohorts` (issue 16): synthetic and deterministic, in
 * the shapes the ingest writes, generated inside PostgreSQL with `INSERT … SELECT
 * generate_series` (no rows travel through Node). Every "random" choice is a hash of the row
 * number (`hashint8`-style mixing in SQL), so a run with the same sizes builds the same data.
 *
 * - persons: `persons` rows with `plan` (free 55 %, pro 30 %, enterprise 15 %), `country` (one
 *   of 20, Zipf-like: the first ~29 %), `signup_days` (0-999), `beta` (10 % true).
 * - distinct ids: every person `u<n>`; one in five also an anonymous `a<n>` (1.2 ids each).
 * - events: `purchase`, `page_view`, `add_to_cart`, `search`, `signup`, over the last 90 days,
 *   with small jsonb properties (`amount` on purchases, `path` on page views); the distinct id
 *   is a person's `u<n>` (or, for a fifth of their events, their `a<n>`).
 *
 * Not written: `event_ids` (the dedup table of the ingest path; cohort queries never read it)
 * and the Redis identity map (the refresher does not need it).
 */
import type pg from 'pg';

export interface ScaleSizes {
  persons: number;
  events: number;
  /** unix ms the 90-day window ends at (events lie in [now - 90 d, now)) */
  now: number;
}

/** The project's country list; country index 0 (`US`) holds about 29 % of persons. */
export const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'IN', 'BR', 'JP', 'CA', 'ES', 'IT', 'NL', 'SE', 'PL', 'MX', 'AU', 'KR', 'NO', 'PT', 'IE', 'DK'];

// A 63-bit mix of an integer (splitmix-like, wrapped into bigint arithmetic that cannot overflow).
const MIX = (x: string) => `((((${x})::bigint * 2654435761) # ((${x})::bigint >> 7)) % 2147483647)`;

export async function generate(client: pg.Client, projectId: number, sizes: ScaleSizes, log: (m: string) => void = () => {}): Promise<void> {
  const t0 = Date.now();
  const base = await client.query<{ id: string }>('SELECT COALESCE(max(id), 0) AS id FROM persons');
  const first = Number(base.rows[0].id) + 1;
  await client.query(
    `INSERT INTO persons (project_id, bucketing_key, properties, first_seen, last_seen, event_count)
     SELECT $1, 'u' || n,
            jsonb_build_object(
              'plan', CASE WHEN ${MIX('n')} % 100 < 55 THEN 'free' WHEN ${MIX('n')} % 100 < 85 THEN 'pro' ELSE 'enterprise' END,
              'country', ($3::text[])[1 + floor(20 * power((${MIX('n + 17')} % 10000) / 10000.0, 2.5))::int],
              'signup_days', ${MIX('n + 5')} % 1000,
              'beta', ${MIX('n + 9')} % 10 = 0),
            to_timestamp($4 / 1000.0) - interval '90 days', to_timestamp($4 / 1000.0), 0
       FROM generate_series(1, $2::bigint) AS n`,
    [projectId, sizes.persons, COUNTRIES, sizes.now],
  );
  log(`persons: ${sizes.persons} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const t1 = Date.now();
  // Persons were inserted in order: person n has id first + n - 1.
  await client.query(
    `INSERT INTO person_distinct_ids (project_id, distinct_id, person_id)
     SELECT $1::bigint, 'u' || n, $3::bigint + n - 1 FROM generate_series(1, $2::bigint) AS n
     UNION ALL
     SELECT $1::bigint, 'a' || n, $3::bigint + n - 1 FROM generate_series(1, $2::bigint) AS n WHERE n % 5 = 0`,
    [projectId, sizes.persons, first],
  );
  log(`distinct ids: ${Math.round(sizes.persons * 1.2)} in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

  // One partition per month of the window (as the refresher's maintenance would have made
  // them while the events arrived), so no row lands in the default partition.
  const start = new Date(sizes.now - 91 * 86_400_000);
  for (let month = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1); month <= sizes.now; ) {
    const d = new Date(month);
    const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    const name = `events_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    await client.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF events FOR VALUES FROM ('${d.toISOString()}') TO ('${new Date(next).toISOString()}')`);
    month = next;
  }

  // Events in chunks (one statement each), so memory and WAL stay bounded; the indexes are
  // built once afterwards (much faster than maintaining them row by row), as the migration
  // defines them: on the partitioned table, so on every partition (pg_indexes gives the
  // parent's definition as `ON ONLY`, which would index no partition).
  const t2 = Date.now();
  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    "SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE tablename = 'events' AND schemaname = 'public'",
  );
  for (const ix of indexes) await client.query(`DROP INDEX ${ix.name}`);
  const CHUNK = 1_000_000;
  for (let from = 1; from <= sizes.events; from += CHUNK) {
    const to = Math.min(sizes.events, from + CHUNK - 1);
    await client.query(
      `INSERT INTO events (project_id, event, distinct_id, time, insert_id, properties)
       SELECT $1::bigint, e.name,
              CASE WHEN e.n % 5 = 0 AND e.person % 5 = 0 THEN 'a' ELSE 'u' END || e.person,
              to_timestamp($4 / 1000.0) - make_interval(secs => (${MIX('e.n + 3')} % 7776000)::double precision),
              'gen:' || e.n,
              CASE e.name WHEN 'purchase' THEN jsonb_build_object('amount', 5 + ${MIX('e.n + 11')} % 200)
                          WHEN 'page_view' THEN jsonb_build_object('path', '/p/' || ${MIX('e.n + 13')} % 50)
                          ELSE '{}'::jsonb END
         FROM (
           SELECT n,
                  -- persons are skewed: a tenth of them produce half of the events
                  CASE WHEN ${MIX('n + 1')} % 2 = 0 THEN 1 + ${MIX('n + 2')} % GREATEST($5::bigint / 10, 1)
                       ELSE 1 + (${MIX('n + 4')} * 7919) % $5::bigint END AS person,
                  (ARRAY['page_view', 'page_view', 'page_view', 'page_view', 'search', 'search', 'add_to_cart', 'add_to_cart', 'purchase', 'signup'])[1 + ${MIX('n + 6')} % 10] AS name
             FROM generate_series($2::bigint, $3::bigint) AS n
         ) e`,
      [projectId, from, to, sizes.now, sizes.persons],
    );
    log(`events: ${to} (${((Date.now() - t2) / 1000).toFixed(0)} s)`);
  }
  const t3 = Date.now();
  for (const ix of indexes) await client.query(ix.def.replace(' ON ONLY ', ' ON '));
  log(`event indexes rebuilt in ${((Date.now() - t3) / 1000).toFixed(0)} s`);
  await client.query('ANALYZE persons');
  await client.query('ANALYZE person_distinct_ids');
  // What autovacuum does to an insert-only table soon after a load: the visibility map it
  // sets lets behavioural queries use index-only scans (migration 006).
  await client.query('VACUUM (ANALYZE) events');
  log(`generated in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
