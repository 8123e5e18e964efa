import { randomUUID } from 'node:crypto';

/** The request id: the client's `X-Request-Id` when it is a string of at most 128 characters, else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && header.length <= 128 ? header : randomUUID();
}
