import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A running HTTP server on a loopback ephemeral port. */
export interface RunningServer {
  server: Server;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** stops listening and destroys every open connection */
  close(): Promise<void>;
}

/**
 * Serves `listener` (e.g. a composition's `app`) on 127.0.0.1:0 with real sockets, so a test
 * sees what a client sees: dropped or reset connections included. Keep-alive lasts 60 s (not
 * node's 5 s), so a client reusing a socket never races the server's idle close.
 */
export async function listen(listener: RequestListener): Promise<RunningServer> {
  const server = createServer(listener);
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
