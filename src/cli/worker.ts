import type { Config } from '../config.js';
import { composeWorker } from '../composition.js';
import { migrate } from '../adapters/postgres/migrate.js';
import { preflight } from './preflight.js';

/**
 * `worker` (`npm run worker`): the cohort refresher alone, with no HTTP. Preflight,
 * migrate, then refresh until SIGTERM/SIGINT; on a signal the run in progress finishes
 * (or its lease expires and another worker takes over), then pools close and it exits 0.
 * Run as many as you like: they share the work through PostgreSQL row leases.
 */
export async function worker(config: Config): Promise<void> {
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
