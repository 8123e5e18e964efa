/**
 * Seeds one tree's benchmark world with that tree's own code (bench/ab.ts runs this once per
 * tree, as a child process whose cwd is the tree, so its tsx, tsconfig, migrations and
 * node_modules are the tree's own): `resetDatabase` (drop, recreate, the tree's migrations)
 * and `seed` from `<root>/bench/seed.ts`.
 *
 * Usage: `node --import tsx <this file> <root> <databaseUrl> <redisUrl> <redisPrefix>`, with
 * the prefix already empty. Prints one line `SEEDED <json>` (the tree's `Seeded`: project id,
 * token, distinct ids, counts) on stdout; exits 1 with the error on stderr otherwise.
 * Imports nothing of this tree: only node builtins and the tree under test.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface TreeSeed {
  resetDatabase(databaseUrl: string): Promise<void>;
  seed(env: { databaseUrl: string; redisUrl: string; prefix: string }): Promise<unknown>;
}

const [root, databaseUrl, redisUrl, prefix] = process.argv.slice(2);
if (!root || !databaseUrl || !redisUrl || !prefix) {
  console.error('usage: ab-seed.ts <root> <databaseUrl> <redisUrl> <redisPrefix>');
  process.exit(2);
}
try {
  const mod = (await import(pathToFileURL(path.join(root, 'bench', 'seed.ts')).href)) as TreeSeed;
  await mod.resetDatabase(databaseUrl);
  const seeded = await mod.seed({ databaseUrl, redisUrl, prefix });
  process.stdout.write(`SEEDED ${JSON.stringify(seeded)}\n`);
  // The tree's pools and clients are closed by its seed; exit anyway in case a timer lingers.
  process.exit(0);
} catch (err) {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
}
