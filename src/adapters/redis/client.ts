import { Cluster, Redis } from 'ioredis';

/**
 * A connection to one Redis server or to a Redis Cluster (ioredis `Cluster`): the adapters
 * use only commands both offer, and every multi-key command or script of theirs names keys of
 * one hash slot (keys.ts: one `{p<id>}` tag per project).
 */
export type RedisClient = Redis | Cluster;

export interface RedisOptions {
  /**
   * `redis://host:port/db` (or `rediss://`) for one server; `redis-cluster://host:port,host:port`
   * (a few of the cluster's nodes; the rest are discovered) for a Redis Cluster.
   */
  url: string;
  /** ms a command may wait before it fails; the decision path answers from memory then */
  commandTimeoutMs?: number;
  /** a subscriber connection may not use the offline queue limits of a command connection */
  lazyConnect?: boolean;
  /** batch commands issued in the same tick into one socket write (the handshake's connection) */
  autoPipelining?: boolean;
}

/** The nodes of a `redis-cluster://` URL, or null for a single-server URL. */
export function clusterNodes(url: string): Array<{ host: string; port: number }> | null {
  const m = /^redis-cluster:\/\/([^/?#]+)/.exec(url);
  if (!m) return null;
  return m[1].split(',').map((hp) => {
    const i = hp.lastIndexOf(':');
    return { host: hp.slice(0, i) || '127.0.0.1', port: Number(hp.slice(i + 1)) || 6379 };
  });
}

/**
 * A Redis connection that fails fast instead of queueing forever when Redis is away:
 * commands issued while disconnected are rejected at once (no offline queue) and
 * each command has a timeout, so a slow or stopped Redis never stalls a request.
 * For a cluster, the same per-node settings; MOVED/ASK redirections are followed, and a
 * failover is waited out by the reconnect strategy (the decision path degrades meanwhile).
 */
export function createRedis(opts: RedisOptions): RedisClient {
  const node = {
    lazyConnect: opts.lazyConnect ?? false,
    enableAutoPipelining: opts.autoPipelining ?? false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: 2_000,
    retryStrategy: (times: number) => Math.min(times * 100, 2_000),
  };
  const nodes = clusterNodes(opts.url);
  const client: RedisClient = nodes
    ? new Cluster(nodes, {
        lazyConnect: node.lazyConnect,
        enableAutoPipelining: node.enableAutoPipelining,
        enableOfflineQueue: false,
        clusterRetryStrategy: (times: number) => Math.min(times * 100, 2_000),
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 200,
        slotsRefreshTimeout: 2_000,
        // A failover moves slots without a MOVED reply reaching an idle client: look every second.
        slotsRefreshInterval: 1_000,
        redisOptions: { connectTimeout: node.connectTimeout, commandTimeout: node.commandTimeout, maxRetriesPerRequest: 1 },
      })
    : new Redis(opts.url, node);
  // Connection errors are reported through readiness, not as unhandled events.
  client.on('error', () => {});
  return client;
}

/** The servers to run a per-server command on (SCAN, INFO): the client itself, or every cluster master. */
export function serversOf(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** Waits until the client is connected, or rejects after timeoutMs. */
export async function waitForRedis(client: RedisClient, timeoutMs: number): Promise<void> {
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
