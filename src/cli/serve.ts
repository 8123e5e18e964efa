import { createServer, type Server } from 'node:http';
import type { Config } from '../config.js';
import { composeServe } from '../composition.js';
import { migrate } from '../adapters/postgres/migrate.js';
import { preflight } from './preflight.js';

/**
 * `serve`: preflight, create the database, migrate, apply INIT_ADMIN_KEY, listen, and run
 * the refresher in-process (RUN_WORKER). SIGTERM/SIGINT: stop accepting, finish in-flight
 * requests, stop background work, close pools, exit 0.
 */
export async function serve(config: Config): Promise<void> {
  const problems = await preflight(config);
  if (problems.length) {
    for (const p of problems) console.error(p);
    process.exit(1);
  }
  const c = composeServe(config, { defaultMetrics: true });
  await migrate(config.DATABASE_URL, (m) => c.logger.info(m));
  if (config.INIT_ADMIN_KEY) await c.ensureInitKey(config.INIT_ADMIN_KEY);
  await c.start();

  const server: Server = createServer(c.listener).listen(config.PORT, config.HOST);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  c.logger.info({ host: config.HOST, port }, `switchboard listening on http://${config.HOST}:${port}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    c.logger.info({ signal }, 'shutting down');
    server.close();
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    await new Promise<void>((resolve) => server.once('close', () => resolve()));
    clearTimeout(force);
    await c.close();
    c.logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
