import { Redis } from 'ioredis';

export type RedisClient = Redis;

export interface RedisOptions {
  url: string;
  /** ms a command may wait before it fails; the decision path answers from memory then */
  commandTimeoutMs?: number;
  /** a subscriber connection may not use the offline queue limits of a command connection */
  lazyConnect?: boolean;
  /** batch commands issued in the same tick into one socket write (the handshake's connection) */
  autoPipelining?: boolean;
}

/**
 * A Redis connection that fails fast instead of queueing forever when Redis is away:
 * commands issued while disconnected are rejected at once (no offline queue) and
 * each command has a timeout, so a slow or stopped Redis never stalls a request.
 */
export function createRedis(opts: RedisOptions): Redis {
  const client = new Redis(opts.url, {
    lazyConnect: opts.lazyConnect ?? false,
    enableAutoPipelining: opts.autoPipelining ?? false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  // Connection errors are reported through readiness, not as unhandled events.
  client.on('error', () => {});
  return client;
}

/** Waits until the client is connected, or rejects after timeoutMs. */
export async function waitForRedis(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}
