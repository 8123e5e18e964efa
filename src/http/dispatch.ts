import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** A fast handler claims a request by returning true; otherwise express gets it. */
export type FastRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The server's request listener: fast routes first (the handshake), then the express app. */
export function createRequestListener(expressApp: RequestListener, fast: readonly FastRoute[]): RequestListener {
  return (req, res) => {
    for (const route of fast) if (route(req, res)) return;
    expressApp(req, res);
  };
}
