import type { Config } from '../config.js';
import { composeWorker } from '../composition.js';
import { migrate } from '../adapters/postgres/migrate.js';
import { MEMORY_MODE_LINE, preflight, resolveStores } from './preflight.js';

/**
 * `worker` (`npm run worker`): the cohort refresher alone, with no HTTP. Preflight,
 * migrate, then refresh until SIGTERM/SIGINT; on a signal the run in progress finishes
 * (or its lease expires and another worker takes over), then pools close and it exits 0.
 * Run as many as you like: they share the work through PostgreSQL row leases.
 */
export async function worker(input: Config): Promise<void> {
  if (input.REDIS_URL === 'memory:') {
    console.error(`\`npm run worker\` cannot work with REDIS_URL=memory:: a separate worker would materialize cohorts into its own memory, which the service never sees. The service runs the refresher itself in this mode. ${MEMORY_MODE_LINE}`);
    process.exit(1);
  }
  const resolved = await resolveStores(input);
  if (resolved.modes.redis === 'memory') {
    console.error('`npm run worker` needs Redis, and none answers on 127.0.0.1:6379 (REDIS_URL unset): without Redis the service runs the refresher itself. Start Redis or set REDIS_URL.');
    process.exit(1);
  }
  const config = resolved.config;
  const problems = await preflight(config);
  if (problems.length) {
    for (const p of problems) console.error(p);
    process.exit(1);
  }
  const c = composeWorker(config, { defaultMetrics: true });
  await migrate(config.DATABASE_URL, (m) => c.logger.info(m));
  await c.start();
  c.refresher.start();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    c.logger.info({ signal }, 'worker shutting down');
    await c.refresher.stop();
    await c.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
