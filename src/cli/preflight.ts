import { Socket } from 'node:net';
import pg from 'pg';
import { Redis } from 'ioredis';
import { clusterNodes } from '../adapters/redis/client.js';
import { runningEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedPostgres } from '../adapters/postgres/embedded.js';
import type { Config } from '../config.js';
import type { StoreModes } from '../http/routes/health.js';

export type { StoreModes };

export const START_POSTGRES = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
export const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';
/** What `auto` means when a local server answers on its default port. */
export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/switchboard';
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379/0';

const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');


export const isMemoryMode = (config: Pick<Config, 'REDIS_URL'>) => config.REDIS_URL === 'memory:';

/** The line `serve` prints in memory mode, and the refusals of a second process. */
export const MEMORY_MODE_LINE =
  'Redis: none; in-process store (REDIS_URL=memory:): this mode serves ONE process only: no replicas, no separate `npm run worker`, no shared refreshers. Set REDIS_URL=redis://127.0.0.1:6379/0 to use Redis.';

/** True when something accepts a TCP connection on 127.0.0.1:`port` within `ms`. */
export function answers(port: number, ms = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, '127.0.0.1', () => done(true));
  });
}

export interface ResolvedStores {
  /** the config with DATABASE_URL a server URL and REDIS_URL a server URL or `memory:` */
  config: Config;
  modes: StoreModes;
  /** the embedded PostgreSQL, when in use (stop it on shutdown; a no-op when joined) */
  embedded: EmbeddedPostgres | null;
  /** one line per store saying what is used and why (printed at start-up) */
  lines: string[];
}

/**
 * Resolves `auto`, `embedded` and `memory:` (docs/embedded.md) before anything connects:
 * - DATABASE_URL unset (`auto`): the local server when 127.0.0.1:5432 answers, else the
 *   embedded PostgreSQL; `embedded`: always the embedded one (a free port, so it runs beside a
 *   local server). The embedded cluster of SWITCHBOARD_DIR is joined when one runs there
 *   (e.g. `npm run demo` next to `npm start`), else started (and stopped by `embedded.stop()`).
 * - REDIS_URL unset (`auto`): the local server when 127.0.0.1:6379 answers, else `memory:`.
 * Any other URL is used exactly as given. Rejects when the embedded PostgreSQL cannot start.
 */
export async function resolveStores(config: Config, opts: { onLog?: (line: string) => void; ownSignals?: boolean } = {}): Promise<ResolvedStores> {
  const lines: string[] = [];
  let embedded: EmbeddedPostgres | null = null;
  let databaseUrl = config.DATABASE_URL;
  let redisUrl = config.REDIS_URL;
  const [pgAnswers, redisAnswers] = await Promise.all([
    databaseUrl === 'auto' ? answers(5432) : Promise.resolve(false),
    redisUrl === 'auto' ? answers(6379) : Promise.resolve(false),
  ]);
  if (databaseUrl === 'auto' && pgAnswers) {
    databaseUrl = LOCAL_DATABASE_URL;
    lines.push(`PostgreSQL: the server on 127.0.0.1:5432 (DATABASE_URL unset and it answers)`);
  } else if (databaseUrl === 'auto' || databaseUrl === 'embedded') {
    const why = databaseUrl === 'auto' ? 'DATABASE_URL unset and nothing answers on 127.0.0.1:5432' : 'DATABASE_URL=embedded';
    embedded = await startEmbeddedPostgres({ dir: config.SWITCHBOARD_DIR, onLog: opts.onLog, ownSignals: opts.ownSignals });
    databaseUrl = embedded.url;
    const how = embedded.owned ? `started in ${(embedded.startMs / 1000).toFixed(1)} s${embedded.initialised ? ', new data folder' : ''}` : `joined the one running (pid ${embedded.pid})`;
    lines.push(`PostgreSQL: embedded (${why}) on 127.0.0.1:${embedded.port}, ${how}; data in ${embedded.dataDir}. Set DATABASE_URL=postgres://… to use a server.`);
  } else {
    lines.push(`PostgreSQL: ${redact(databaseUrl)}`);
  }
  if (redisUrl === 'auto' && redisAnswers) {
    redisUrl = LOCAL_REDIS_URL;
    lines.push('Redis: the server on 127.0.0.1:6379 (REDIS_URL unset and it answers)');
  } else if (redisUrl === 'auto' || redisUrl === 'memory:') {
    redisUrl = 'memory:';
    lines.push(MEMORY_MODE_LINE);
  } else {
    lines.push(`Redis: ${redact(redisUrl)}`);
  }
  return {
    config: { ...config, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl },
    modes: { postgres: embedded ? 'embedded' : 'server', redis: redisUrl === 'memory:' ? 'memory' : 'server' },
    embedded,
    lines,
  };
}

/**
 * The synchronous part of `resolveStores`, for commands built before anything runs (`rules`):
 * `embedded` (and `auto`) join the embedded cluster running in SWITCHBOARD_DIR; `auto` is
 * otherwise the local server; `auto` Redis is the local server. Starts nothing.
 */
export function resolveStoresSync(config: Config): Config {
  let { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl } = config;
  if (databaseUrl === 'auto' || databaseUrl === 'embedded') {
    const running = runningEmbeddedPostgres(config.SWITCHBOARD_DIR);
    databaseUrl = running ? running.url : databaseUrl === 'auto' ? LOCAL_DATABASE_URL : databaseUrl;
  }
  if (redisUrl === 'auto') redisUrl = LOCAL_REDIS_URL;
  return { ...config, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl };
}

/**
 * Checks that PostgreSQL (server, not database: start-up creates it) and Redis answer; in
 * memory mode (REDIS_URL=memory:) there is no Redis to check. Returns one human line per
 * problem, naming the store and the command that starts it (or the setting that does without).
 */
export async function preflight(config: Pick<Config, 'DATABASE_URL' | 'REDIS_URL'>): Promise<string[]> {
  const problems: string[] = [];
  if (config.DATABASE_URL === 'embedded' || config.DATABASE_URL === 'auto') {
    problems.push(`DATABASE_URL=${config.DATABASE_URL} was not resolved: no embedded PostgreSQL runs for this folder. Start the service with \`npm start\`, or set DATABASE_URL=postgres://…`);
  } else {
    const url = new URL(config.DATABASE_URL);
    url.pathname = '/postgres';
    const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (err) {
      problems.push(
        `PostgreSQL is not reachable at ${redact(config.DATABASE_URL)} (${(err as Error).message}). Start it with: ${START_POSTGRES} (or unset DATABASE_URL, or set DATABASE_URL=embedded, to run the embedded PostgreSQL)`,
      );
    } finally {
      await client.end().catch(() => {});
    }
  }
  if (isMemoryMode(config) || config.REDIS_URL === 'auto') return problems;
  // A cluster answers on any of its nodes: the first one listed is asked.
  const node = clusterNodes(config.REDIS_URL)?.[0];
  const probe = { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null };
  const redis = node ? new Redis({ ...probe, host: node.host, port: node.port }) : new Redis(config.REDIS_URL, probe);
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    problems.push(`Redis is not reachable at ${redact(config.REDIS_URL)} (${(err as Error).message}). Start it with: ${START_REDIS} (or unset REDIS_URL, or set REDIS_URL=memory:, for the in-process store of one process)`);
  } finally {
    redis.disconnect();
  }
  return problems;
}
