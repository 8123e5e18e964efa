/**
 * The Redis key layout (docs/scaling.md, "Redis: key layout"). Every key of a project carries
 * the hash tag `{p<projectId>}` (its home slot: identity, person documents, cohort pointers,
 * `:d` sets, counters), except the chunks of cohort membership when the membership is sharded
 * (`shards` > 1): person ids are cut into chunks of 16,384 (membership-lua.ts) and chunk c
 * lives in shard `c mod shards`, under the tag `{p<projectId>:<shard>}`, so one project's
 * membership spreads over many Redis Cluster slots. With one shard (the default on one Redis)
 * shard 0's tag is the home tag and the layout is the unsharded one, key for key.
 */
export interface Keys {
  /** distinct_id -> person id (string). */
  distinctId(projectId: number, distinctId: string): string;
  /** person id -> JSON person document `{ b: bucketing key, p: properties, i: identified, s: survey history }`. */
  person(projectId: number, personId: number): string;
  /** Set when the identity map of a project is complete in Redis: a miss then means "unknown id". */
  identityReady(projectId: number): string;
  /** cohort id -> live materialized version number (string). The atomic switch flips it. */
  cohortCurrent(projectId: number, cohortId: number): string;
  /** members of one materialized version: person ids, and `d:<distinct_id>` for unseen static ids. */
  cohortMembers(projectId: number, cohortId: number, version: number): string;
  /** `cohortMembers` without the version: Lua scripts append the version they read from `cohortCurrent`. */
  cohortMembersBase(projectId: number, cohortId: number): string;
  /** How many shards one project's membership chunks are spread over (1: none, all in the home slot). */
  readonly shards: number;
  /** The shard of a chunk number (`chunk mod shards`). */
  shardOfChunk(chunk: number): number;
  /** A shard's copy of `cohortCurrent` (the same key with one shard): switched with it, read with the shard's chunks. */
  shardCurrent(projectId: number, cohortId: number, shard: number): string;
  /** `cohortMembersBase` in a shard: the shard's index of version v (its chunk numbers) is `<this><v>`, its chunks `<this><v>:s<c>` / `:b<c>`. */
  shardMembersBase(projectId: number, cohortId: number, shard: number): string;
  /** total responses per survey key (incremented on `survey sent` events). */
  surveyResponses(projectId: number, surveyKey: string): string;
  /** exposure dedup marker per person, flag and variant per day. */
  exposure(projectId: number, day: string, personKey: string, flagKey: string, variant: string): string;
  /**
   * Request counter of the current rate window (it expires 1 s after the window's first
   * request): per project for `decide` and `ingest` (same slot as the project's other keys, so
   * the handshake script counts in its one call), per admin key for `admin`.
   */
  rateCounter(scope: 'decide' | 'ingest' | 'admin', subject: number): string;
  /** pub/sub channel announcing definition changes: message is the project id. */
  definitionsChannel(): string;
  /** read-your-writes: the project's write sequence, a hash `{ epoch, seq, applied }` (consistency-store.ts). */
  consistency(projectId: number): string;
  /** read-your-writes: slots handed out and not yet applied (ZSET, score = issued at, unix ms). */
  consistencyPending(projectId: number): string;
  /** read-your-writes: slots applied above the watermark, waiting for a slower slot below them (ZSET). */
  consistencyDone(projectId: number): string;
  /** pub/sub channel announcing watermarks: `<project>:<epoch>:<applied>:<issued>`. */
  consistencyChannel(): string;
  /** Every key of one project, for SCAN-based cleanup (shards included: `{p<id>:<s>}` matches `{p<id>*`). */
  projectPattern(projectId: number): string;
  /** Everything under this install's prefix. */
  allPattern(): string;
  readonly prefix: string;
}

/**
 * `shards`: membership shards per project (REDIS_MEMBERSHIP_SHARDS; 1 to 1024). Every process
 * of one install must use the same value, and changing it needs every cohort re-materialized
 * (the chunks of the old layout are not found under the new one).
 */
export function createKeys(prefix: string, shards = 1): Keys {
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024) throw new Error(`membership shards must be an integer from 1 to 1024, got ${shards}`);
  const tag = (projectId: number) => `${prefix}{p${projectId}}`;
  const shardTag = (projectId: number, shard: number) => (shards === 1 ? tag(projectId) : `${prefix}{p${projectId}:${shard}}`);
  return {
    prefix,
    shards,
    shardOfChunk: (chunk) => chunk % shards,
    shardCurrent: (p, c, s) => `${shardTag(p, s)}:cohort:${c}:current`,
    shardMembersBase: (p, c, s) => `${shardTag(p, s)}:cohort:${c}:v`,
    distinctId: (p, d) => `${tag(p)}:did:${d}`,
    person: (p, id) => `${tag(p)}:person:${id}`,
    identityReady: (p) => `${tag(p)}:identity-ready`,
    cohortCurrent: (p, c) => `${tag(p)}:cohort:${c}:current`,
    cohortMembers: (p, c, v) => `${tag(p)}:cohort:${c}:v${v}`,
    cohortMembersBase: (p, c) => `${tag(p)}:cohort:${c}:v`,
    surveyResponses: (p, s) => `${tag(p)}:survey:${s}:responses`,
    exposure: (p, day, person, flag, variant) => `${tag(p)}:exposure:${day}:${person}:${flag}:${variant}`,
    rateCounter: (scope, subject) => (scope === 'admin' ? `${prefix}{a${subject}}:rl` : `${tag(subject)}:rl:${scope}`),
    definitionsChannel: () => `${prefix}definitions`,
    consistency: (p) => `${tag(p)}:ryw`,
    consistencyPending: (p) => `${tag(p)}:ryw:pending`,
    consistencyDone: (p) => `${tag(p)}:ryw:done`,
    consistencyChannel: () => `${prefix}ryw-applied`,
    projectPattern: (p) => (shards === 1 ? `${tag(p)}:*` : `${prefix}{p${p}[}:]*`),
    allPattern: () => `${prefix}*`,
  };
}
