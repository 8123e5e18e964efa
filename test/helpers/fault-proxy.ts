import net from 'node:net';

/**
 * A loopback TCP proxy for fault tests, in front of a real server (the shared PostgreSQL or
 * Redis, which are never stopped themselves):
 * - `down()` drops every connection and refuses new ones (ECONNREFUSED, as a restarting
 *   server does); `up()` listens again on the same port;
 * - `delay(ms)` holds every chunk, both ways, for `ms` before passing it on (order kept):
 *   a slow server or network.
 * `connections` counts the connections accepted so far.
 */
export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1') {
  let delayMs = 0;
  let accepted = 0;
  const pairs = new Set<[net.Socket, net.Socket]>();

  /** Pipes `from` into `to`, each chunk held `delayMs` (read when the chunk arrives). */
  const pipe = (from: net.Socket, to: net.Socket) => {
    let last = 0;
    from.on('data', (chunk: Buffer) => {
      if (delayMs === 0 && last <= Date.now()) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      // due times never go backwards, so chunks keep their order
      const due = Math.max(Date.now() + delayMs, last);
      last = due;
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, due - Date.now());
    });
  };

  const onConnection = (client: net.Socket) => {
    accepted++;
    const upstream = net.connect(targetPort, targetHost);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    pipe(client, upstream);
    pipe(upstream, client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop).on('end', drop);
    upstream.on('error', drop).on('close', drop).on('end', drop);
  };

  let server = net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  let listening = true;

  const dropAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };

  return {
    port,
    /** `url` with its port replaced by the proxy's */
    via(url: string): string {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    get connections() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    delay(ms: number) {
      delayMs = ms;
    },
    async down(): Promise<void> {
      if (!listening) return;
      listening = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropAll();
      await closed;
    },
    async up(): Promise<void> {
      if (listening) return;
      server = net.createServer(onConnection);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      listening = true;
    },
    async close(): Promise<void> {
      dropAll();
      if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      listening = false;
    },
  };
}

export type FaultProxy = Awaited<ReturnType<typeof startFaultProxy>>;
