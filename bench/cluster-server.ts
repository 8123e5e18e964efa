/**
 * The real server as `BENCH_CLUSTER_WORKERS` processes sharing one port (node:cluster), each
 * running `serve` exactly as `src/main.ts serve` does: what one machine gives when every core
 * runs an API process (docs/scaling.md). The primary only forwards SIGTERM.
 */
import cluster from 'node:cluster';
import { loadConfig } from '../src/config.js';
import { serve } from '../src/cli/serve.js';

if (cluster.isPrimary) {
  const n = Number(process.env.BENCH_CLUSTER_WORKERS ?? 2);
  for (let i = 0; i < n; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    let left = n;
    cluster.on('exit', () => {
      if (--left === 0) process.exit(0);
    });
  });
} else {
  await serve(loadConfig());
}
