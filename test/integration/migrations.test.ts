import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/adapters/postgres/migrate.js';
import { adminUrl, databaseUrl } from '../helpers/databases.js';

const name = `sb_t_${process.pid}_migrate`;
const url = databaseUrl(name);

afterAll(async () => {
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
});

describe('migrations', () => {
  it('create the database and apply once when two processes start at once', async () => {
    const [a, b] = await Promise.all([migrate(url), migrate(url)]);
    // Exactly one of the two runs applied each migration; the other found it up to date.
    const files = readdirSync('migrations').filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();
    expect([...a, ...b].sort()).toEqual(files);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    const tables = rows.map((r) => r.table_name);
    for (const t of ['projects', 'admin_keys', 'persons', 'person_distinct_ids', 'events', 'cohorts',
      'static_cohort_members', 'cohort_calculations', 'flags', 'configs', 'surveys', 'audit_log']) {
      expect(tables).toContain(t);
    }
    // every domain table carries the project id
    const { rows: cols } = await c.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'project_id'`,
    );
    const withProject = new Set(cols.map((r) => r.table_name));
    for (const t of tables.filter((t) => !['projects', 'admin_keys', 'pgmigrations'].includes(t))) expect(withProject).toContain(t);
    await c.end();
    expect(await migrate(url)).toEqual([]);
  });
});
