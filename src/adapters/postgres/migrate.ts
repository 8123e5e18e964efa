import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';

const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../migrations');

/**
 * Creates the database named in `databaseUrl` if it does not exist.
 * Safe when several processes race: "already exists" counts as success.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  client.on('error', () => {}); // a dropped connection surfaces in the query, not as a crash
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    // 42P04 duplicate_database; 23505 when two CREATE DATABASE race on pg_database's index
    if (code !== '42P04' && code !== '23505') throw err;
  } finally {
    await client.end();
  }
}

/**
 * Applies every pending forward-only migration in migrations/.
 * node-pg-migrate holds a PostgreSQL advisory lock, and we wait for it, so two
 * processes starting at once apply each migration exactly once.
 * Returns the names of the migrations applied now.
 */
export async function migrate(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  // Our own client, so it is closed (awaited) before we return and a later termination of
  // the connection can never surface as an unhandled 'error'.
  const dbClient = new pg.Client({ connectionString: databaseUrl });
  dbClient.on('error', () => {});
  await dbClient.connect();
  const applied = await runner({
    dbClient,
    dir: migrationsDir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count: Infinity,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    checkOrder: true,
    log: () => {},
    logger: { debug: () => {}, info: () => {}, warn: log, error: log },
  }).finally(() => dbClient.end().catch(() => {}));
  for (const m of applied) log(`migration applied: ${m.name}`);
  return applied.map((m) => m.name);
}
