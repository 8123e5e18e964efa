import pg from 'pg';
import { Redis } from 'ioredis';
import { clusterNodes } from '../adapters/redis/client.js';
import type { Config } from '../config.js';

export const START_POSTGRES = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
export const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

/**
 * Checks that PostgreSQL (server, not database: start-up creates it) and Redis answer.
 * Returns one human line per problem, naming the store and the command that starts it.
 */
export async function preflight(config: Pick<Config, 'DATABASE_URL' | 'REDIS_URL'>): Promise<string[]> {
  const problems: string[] = [];
  const url = new URL(config.DATABASE_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    problems.push(`PostgreSQL is not reachable at ${redact(config.DATABASE_URL)} (${(err as Error).message}). Start it with: ${START_POSTGRES}`);
  } finally {
    await client.end().catch(() => {});
  }
  // A cluster answers on any of its nodes: the first one listed is asked.
  const node = clusterNodes(config.REDIS_URL)?.[0];
  const probe = { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null };
  const redis = node ? new Redis({ ...probe, host: node.host, port: node.port }) : new Redis(config.REDIS_URL, probe);
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    problems.push(`Redis is not reachable at ${redact(config.REDIS_URL)} (${(err as Error).message}). Start it with: ${START_REDIS}`);
  } finally {
    redis.disconnect();
  }
  return problems;
}
