import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/adapters/postgres/migrate.js';
import { adminUrl, databaseUrl } from './databases.js';
import { makeLogDir, scanLogs } from './log-scan.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string;
    /** where test contexts write their debug logs (scanned for secrets at the end) */
    logDir: string;
  }
}

/**
 * Migrates one template database per set of migrations (its name carries their hash, so a
 * changed migration gets a fresh template), then hands its name to every test file, which
 * copies it with CREATE DATABASE ... TEMPLATE (Unleash's approach).
 */
export default async function setup(project: TestProject) {
  const dir = path.resolve('migrations');
  const hash = createHash('sha1');
  for (const f of readdirSync(dir).sort()) hash.update(f).update(readFileSync(path.join(dir, f)));
  const name = `sb_tmpl_${hash.digest('hex').slice(0, 12)}`;

  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      // Build under a temporary name, then rename: a half-migrated template is never used.
      const building = `${name}_b${process.pid}`;
      await admin.query(`DROP DATABASE IF EXISTS ${building}`);
      await migrate(databaseUrl(building));
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`).catch(async (err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // another run finished first
        await admin.query(`DROP DATABASE IF EXISTS ${building}`);
      });
    }
  } finally {
    await admin.end();
  }
  project.provide('templateDb', name);

  const logDir = makeLogDir();
  project.provide('logDir', logDir);
  return () => {
    const { lines, files, leaks } = scanLogs(logDir);
    if (leaks.length) throw new Error(`a secret or token reached the logs (${leaks.length} lines shown):\n${leaks.join('\n')}`);
    console.log(`log scan: ${lines} lines in ${files} files, no secret or token`);
    if (!process.env.KEEP_TEST_LOGS) rmSync(logDir, { recursive: true, force: true });
  };
}
