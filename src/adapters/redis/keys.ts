/**
 * The Redis key layout (docs/redis.md). Every key of a project carries the hash tag
 * `{p<projectId>}`, so one handshake's reads stay in one Redis Cluster slot and a
 * single Lua call may touch them all.
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
  /**
   * The project's chunk directory (membership-lua.ts): one HASH, field `<cohort>:<version>:d`
   * ('0' or '1': the version has a `:d` set) and `<cohort>:<version>:<chunk>` ('s' intset,
   * 'b' bitmap), so the handshake learns with one HMGET which key, if any, to read per cohort.
   */
  cohortDirectory(projectId: number): string;
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
  /** Every key of one project, for SCAN-based cleanup. */
  projectPattern(projectId: number): string;
  /** Everything under this install's prefix. */
  allPattern(): string;
  readonly prefix: string;
}

export function createKeys(prefix: string): Keys {
  const tag = (projectId: number) => `${prefix}{p${projectId}}`;
  return {
    prefix,
    distinctId: (p, d) => `${tag(p)}:did:${d}`,
    person: (p, id) => `${tag(p)}:person:${id}`,
    identityReady: (p) => `${tag(p)}:identity-ready`,
    cohortCurrent: (p, c) => `${tag(p)}:cohort:${c}:current`,
    cohortMembers: (p, c, v) => `${tag(p)}:cohort:${c}:v${v}`,
    cohortMembersBase: (p, c) => `${tag(p)}:cohort:${c}:v`,
    cohortDirectory: (p) => `${tag(p)}:cohort-chunks`,
    surveyResponses: (p, s) => `${tag(p)}:survey:${s}:responses`,
    exposure: (p, day, person, flag, variant) => `${tag(p)}:exposure:${day}:${person}:${flag}:${variant}`,
    rateCounter: (scope, subject) => (scope === 'admin' ? `${prefix}{a${subject}}:rl` : `${tag(subject)}:rl:${scope}`),
    definitionsChannel: () => `${prefix}definitions`,
    projectPattern: (p) => `${tag(p)}:*`,
    allPattern: () => `${prefix}*`,
  };
}
