/**
 * Builds the console with Vite's JS API into console/dist, and decides when a build is
 * needed: `npm start` (prestart) builds only when dist is missing; tests also rebuild when
 * the sources changed since the last build (a hash of console/src, index.html and the Vite
 * config is kept in dist/.source-hash). Concurrent callers (parallel test files) take a
 * lock directory, so one builds and the others wait for it.
 *
 *   tsx console/build.ts             build now
 *   tsx console/build.ts --if-missing  build only when console/dist has no index.html
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = path.dirname(fileURLToPath(import.meta.url));
export const DIST_DIR = path.join(CONSOLE_DIR, 'dist');
const HASH_FILE = path.join(DIST_DIR, '.source-hash');
const LOCK_DIR = path.join(CONSOLE_DIR, '.build-lock');
/** Server files the console imports (types shared with the API), part of the source hash. */
const SHARED_SOURCES = [path.join(CONSOLE_DIR, '..', 'src', 'domain', 'cohort-definition.ts')];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** sha1 over the console's sources, names and contents, in a stable order. */
export function sourceHash(): string {
  const hash = createHash('sha1');
  const inputs = [...files(path.join(CONSOLE_DIR, 'src')), ...files(path.join(CONSOLE_DIR, 'public')), path.join(CONSOLE_DIR, 'index.html'), path.join(CONSOLE_DIR, 'vite.config.ts'), ...SHARED_SOURCES].sort();
  for (const f of inputs) hash.update(path.relative(CONSOLE_DIR, f)).update('\0').update(readFileSync(f)).update('\0');
  return hash.digest('hex');
}

/** Runs one production build (about 1-3 s); writes the source hash beside it. */
export async function buildConsole(): Promise<void> {
  const { build } = await import('vite');
  const hash = sourceHash();
  await build({ configFile: path.join(CONSOLE_DIR, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(HASH_FILE, hash);
}

const built = () => existsSync(path.join(DIST_DIR, 'index.html'));
const fresh = () => built() && existsSync(HASH_FILE) && readFileSync(HASH_FILE, 'utf8') === sourceHash();

async function withLock(fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      // A lock older than 2 minutes belongs to a build that died.
      try {
        if (Date.now() - statSync(LOCK_DIR).mtimeMs > 120_000) rmSync(LOCK_DIR, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`console build lock ${LOCK_DIR} held for too long`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    await fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

/**
 * Builds when needed: `missing` builds only when there is no build; `stale` also when the
 * sources changed since the last one. Returns whether it built.
 */
export async function ensureConsoleBuilt(when: 'missing' | 'stale'): Promise<boolean> {
  const ok = when === 'missing' ? built : fresh;
  if (ok()) return false;
  let didBuild = false;
  await withLock(async () => {
    if (ok()) return; // another process built it while we waited
    await buildConsole();
    didBuild = true;
  });
  return didBuild;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifMissing = process.argv.includes('--if-missing');
  const started = Date.now();
  const run = ifMissing ? ensureConsoleBuilt('missing') : withLock(buildConsole).then(() => true);
  run.then(
    (did) => {
      if (did) console.log(`console built into ${path.relative(process.cwd(), DIST_DIR)} in ${Date.now() - started} ms`);
    },
    (err) => {
      console.error(`console build failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
