import type { ServerResponse } from 'node:http';
import type { EdgeResponse } from './handshake.js';

/** Writes an EdgeResponse on a node:http (or express) response, with its Content-Length. */
export function send(res: ServerResponse, r: EdgeResponse): void {
  const headers = r.body === undefined ? r.headers : { ...r.headers, 'Content-Length': String(Buffer.byteLength(r.body)) };
  res.writeHead(r.status, headers);
  res.end(r.body);
}
