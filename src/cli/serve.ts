import { createServer, type Server } from 'node:http';
import type { Config } from '../config.js';
import { composeServe } from '../composition.js';
import { migrate } from '../adapters/postgres/migrate.js';
import { createLogger } from '../logging.js';
import { MEMORY_MODE_LINE, preflight, resolveStores } from './preflight.js';

/**
 * `serve`: resolve the stores (the embedded PostgreSQL and the in-process store when asked
 * for or when no local server answers, docs/embedded.md), preflight, create the database,
 * migrate, apply INIT_ADMIN_KEY, listen, and run the refresher in-process (RUN_WORKER; always
 * in memory mode). SIGTERM/SIGINT: stop accepting, finish in-flight requests, stop background
 * work, close pools, stop the embedded PostgreSQL if this process started it, exit 0.
 */
export async function serve(input: Config): Promise<void> {
  const logger = createLogger(input.LOG_LEVEL);
  if (input.REDIS_URL === 'memory:' && !input.RUN_WORKER) {
    console.error(`RUN_WORKER=false cannot work with REDIS_URL=memory:: the refresher must run in this process, the only one that sees the in-process store. ${MEMORY_MODE_LINE}`);
    process.exit(1);
  }
  const resolved = await resolveStores(input, { ownSignals: true, onLog: (line) => logger.debug({ postgres: line }, 'embedded PostgreSQL') }).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
  const config = resolved.config;
  // A signal during start-up still stops the embedded PostgreSQL this process started.
  const early = () => void (resolved.embedded?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
  process.once('SIGTERM', early);
  process.once('SIGINT', early);
  for (const line of resolved.lines) logger.info({ mode: resolved.modes }, line);
  if (resolved.modes.redis === 'memory' && !config.RUN_WORKER) {
    console.error('RUN_WORKER=false cannot work without Redis (no local Redis answered): the refresher must run in this process. Start Redis, or leave RUN_WORKER unset.');
    await resolved.embedded?.stop();
    process.exit(1);
  }
  const problems = await preflight(config);
  if (problems.length) {
    for (const p of problems) console.error(p);
    await resolved.embedded?.stop();
    process.exit(1);
  }
  const c = composeServe(config, { defaultMetrics: true, logger, postgresMode: resolved.modes.postgres });
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
  c.logger.info({ host: config.HOST, port, mode: resolved.modes }, `switchboard listening on http://${config.HOST}:${port} (PostgreSQL: ${resolved.modes.postgres}, Redis: ${resolved.modes.redis === 'memory' ? 'in-process, one process only' : 'server'})`);

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
    if (resolved.embedded?.owned) {
      await resolved.embedded.stop();
      c.logger.info({ dataDir: resolved.embedded.dataDir }, 'embedded PostgreSQL stopped');
    }
    c.logger.info('stopped');
    process.exit(0);
  };
  process.off('SIGTERM', early);
  process.off('SIGINT', early);
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
