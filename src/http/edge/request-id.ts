import { randomUUID } from 'node:crypto';

/** Printable ASCII without spaces: what a header can carry back unchanged and a log can quote. */
const ACCEPTED = /^[\x21-\x7e]{1,128}$/;

/**
 * The request id: the client's `X-Request-Id` when it is 1–128 printable ASCII characters
 * (no spaces), else a new UUID. Node reads header bytes as latin1, so a non-ASCII id could not
 * be echoed back as the client sent it; it is replaced rather than mangled.
 */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && ACCEPTED.test(header) ? header : randomUUID();
}
