// Builds sdk/dist: ESM modules for bundlers and Node (esbuild, one file per entry point), a
// minified browser bundle (dist/switchboard.min.js, what bench/sdk-bundle.ts measures) and
// type declarations (tsc). Run from anywhere: `npm run build:sdk` at the repository root.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

const entries = ['index', 'node', 'openfeature/web', 'openfeature/server'];
await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(entries.map((e) => [e, `src/${e}.ts`])),
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  external: ['node:*', '@openfeature/*'],
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
await build({
  absWorkingDir: root,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/switchboard.min.js',
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  logLevel: 'warning',
});
const tsc = path.join(path.dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
