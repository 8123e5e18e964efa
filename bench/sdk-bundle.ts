/**
 * `npm run bench:sdk` (part 1): browser bundle size of the Switchboard SDK next to
 * launchdarkly-js-client-sdk, posthog-js and @growthbook/growthbook, each bundled the same
 * way in the same run: esbuild, an entry importing the package's client-side entry point,
 * bundle + minify, ESM, platform browser, es2020, NODE_ENV=production; then gzip -9 and
 * brotli -11 of the output. Writes bench/results/sdk-bundle-<date>.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { sdkMachine } from './sdk-machine.js';
import { ROOT } from './servers.js';

const ENTRIES = [
  { name: 'switchboard', pkg: null, contents: `export { createClient } from './sdk/src/index.ts';` },
  { name: 'launchdarkly-js-client-sdk', pkg: 'launchdarkly-js-client-sdk', contents: `export { initialize } from 'launchdarkly-js-client-sdk';` },
  { name: 'posthog-js', pkg: 'posthog-js', contents: `export { default } from 'posthog-js';` },
  { name: '@growthbook/growthbook', pkg: '@growthbook/growthbook', contents: `export { GrowthBook } from '@growthbook/growthbook';` },
];

const version = (pkg: string | null) => JSON.parse(readFileSync(path.join(ROOT, pkg ? `node_modules/${pkg}/package.json` : 'sdk/package.json'), 'utf8')).version as string;

const rows = [];
for (const e of ENTRIES) {
  const out = await build({
    stdin: { contents: e.contents, resolveDir: ROOT, sourcefile: `${e.name}-entry.js`, loader: 'ts' },
    bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2020', write: false, logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const code = out.outputFiles[0].contents;
  rows.push({
    name: e.name,
    version: version(e.pkg),
    entry: e.contents,
    min_bytes: code.length,
    gzip_bytes: gzipSync(code, { level: 9 }).length,
    brotli_bytes: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  });
}
const sb = rows[0];
const smallestPeer = Math.min(...rows.slice(1).map((r) => r.gzip_bytes));
const verdict = sb.gzip_bytes <= 12 * 1024 && sb.gzip_bytes < smallestPeer ? 'PASS' : 'MISS';
const kb = (n: number) => (n / 1024).toFixed(1);
console.log('package                        version     min KB   gzip KB  brotli KB');
for (const r of rows) console.log(`${r.name.padEnd(30)} ${r.version.padEnd(10)} ${kb(r.min_bytes).padStart(7)} ${kb(r.gzip_bytes).padStart(9)} ${kb(r.brotli_bytes).padStart(10)}`);
console.log(`target: <= 12 KB gzip and smaller than every peer (smallest peer ${kb(smallestPeer)} KB): ${verdict}`);

const date = new Date().toISOString().slice(0, 10);
const file = path.join(ROOT, `bench/results/sdk-bundle-${date}.json`);
writeFileSync(file, `${JSON.stringify({ bench: 'sdk-bundle', date: new Date().toISOString(), machine: sdkMachine(), method: 'esbuild bundle+minify, esm, platform browser, es2020, NODE_ENV=production; gzip level 9; brotli quality 11', results: rows, target: { gzip_max_bytes: 12 * 1024, smaller_than_peers: true }, verdict }, null, 2)}\n`);
console.log(`wrote ${path.relative(ROOT, file)}`);
