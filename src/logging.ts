/**
 * The process logger (pino, JSON lines). No secret or token reaches a log line (PRODUCT.md
 * 12): credentials are removed by path (pino's `redact`: Authorization and X-API-Key
 * headers, `token`, `secret`, `key_hash`, connection URLs) and, for errors, whose messages
 * can quote a value back (PostgreSQL's "Key (token)=(…) already exists"), by pattern: any
 * `sbp_…` project token or `sba_…` admin secret in an error's message, detail or stack.
 */
import { pino, stdSerializers, type DestinationStream, type Level, type Logger } from 'pino';

export const REDACT_PATHS = [
  'authorization', 'token', 'secret', 'key_hash', 'password',
  '*.authorization', '*.token', '*.secret', '*.key_hash', '*.password',
  'headers.authorization', 'headers["x-api-key"]', '*.headers.authorization', '*.headers["x-api-key"]',
  'INIT_ADMIN_KEY', 'DATABASE_URL', 'REDIS_URL', '*.INIT_ADMIN_KEY', '*.DATABASE_URL', '*.REDIS_URL',
];

/** Project tokens and admin secrets, as services/secrets.ts makes them (and tests' `sba_test_…`). */
export const SECRET_PATTERN = /\bsb[ap]_[A-Za-z0-9_-]{12,}/g;

/** `s` with every token or secret in it shortened to its public prefix. */
export const scrubSecrets = (s: string): string => s.replace(SECRET_PATTERN, (m) => `${m.slice(0, 8)}…[redacted]`);

function scrubbedError(err: unknown): unknown {
  const out = stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (!out || typeof out !== 'object') return out;
  for (const k of ['message', 'stack', 'detail']) {
    if (typeof out[k] === 'string') out[k] = scrubSecrets(out[k] as string);
  }
  return out;
}

/** A logger at `level` (`silent`: none) writing to stdout or `destination`. */
export function createLogger(level: Level | 'silent', destination?: DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers: { err: scrubbedError } },
    destination,
  );
}
