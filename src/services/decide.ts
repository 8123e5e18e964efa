import type { Logger } from 'pino';
import { decideAll, defaultsFor, rememberOf, staleFrom, type DecideAllResult, type JsonValue, type Remembered } from '../core/index.js';
import type { Metrics } from '../metrics.js';
import type { ProjectSnapshot, Snapshots } from './snapshots.js';
import { createLastKnown } from './last-known.js';
import { decisionInput, personOf } from './decision-input.js';
import { AppError } from '../errors.js';
import type { HandshakeRead, HandshakeReader } from '../ports/handshake-reader.js';
import type { MembershipStore } from '../ports/membership-store.js';
import type { RateLimiter } from '../ports/rate-limiter.js';

/** Identity as PostgreSQL knows it; used only when Redis lost the identity map (after a flush). */
export interface IdentityFallback {
  resolve(projectId: number, distinctId: string, anonId?: string | null): Promise<{
    personId: number | null;
    bucketingKey: string;
    properties: Record<string, unknown>;
    surveyHistory?: { answered: string[]; lastShownAt: number | null };
  }>;
}

/** One handshake's question (PRODUCT.md 8.1). */
export interface DecideRequest {
  projectId: number;
  distinctId: string;
  anonId?: string | null;
  /** overlay the stored person properties for this decision */
  personProperties?: Record<string, unknown>;
  /** further non-person context (app version, url, ...) overlaid last */
  context?: Record<string, unknown>;
  only?: readonly string[];
  explain?: boolean;
  /** count this request against the project's rate limit (default: public requests, not explain) */
  countRate?: boolean;
  /** remember the answer for degraded mode and record exposures (default true; false for stream re-evaluations) */
  record?: boolean;
}

/**
 * A question for nobody in particular (PRODUCT.md 8.2): an OFREP request whose
 * `targetingKey` is absent or not a distinct_id. `targetingKey` is what the client sent
 * (undefined when it sent none); `context` is the rest of its context.
 */
export interface KeylessRequest {
  projectId: number;
  targetingKey?: JsonValue;
  context: Record<string, unknown>;
  only?: readonly string[];
}

/** Who the decision was made for, and from what. */
export interface DecideOutcome {
  result: DecideAllResult;
  snapshot: ProjectSnapshot;
  personId: number | null;
  bucketingKey: string;
  /** true when Redis could not be read and the result is STALE or defaults */
  degraded: boolean;
  /** keys of cohorts whose membership was missing in Redis (their rules were skipped) */
  unavailableCohorts: readonly string[];
  /** ms spent gathering inputs (Redis) and evaluating (core), for Server-Timing */
  timing: { gatherMs: number; evaluateMs: number };
}

export interface DecideDeps {
  snapshots: Snapshots;
  reader: HandshakeReader;
  identityFallback?: IdentityFallback;
  /**
   * Membership of a person the identity fallback found: the handshake's read checked no
   * person (Redis did not know the id). Without it such cohorts read as unavailable.
   */
  membership?: Pick<MembershipStore, 'membership'>;
  metrics?: Metrics;
  /** counts requests that read nothing from Redis (keyless OFREP) against the same `decide` limit */
  limiter?: RateLimiter;
  logger: Logger;
  now?: () => number;
  /** last results kept for degraded mode (entries) */
  lastKnownCapacity?: number;
  /** handshakes per second per project (public requests; counted inside the one Redis call) */
  rateLimitPerS?: number;
  /** records sampled exposure events off the hot path */
  exposures?: { record(projectId: number, distinctId: string, personKey: string, flags: DecideAllResult['flags']): void };
}

/**
 * The decision handshake: gather every input (memory snapshot + ONE Redis call), then run the
 * pure core once. No PostgreSQL in steady state: snapshots live in memory, and only a cold
 * project or a flushed Redis identity map reaches PostgreSQL.
 */
export function createDecideService(deps: DecideDeps) {
  const now = deps.now ?? Date.now;
  // The variants last served per person, compact (see rememberOf), for degraded mode.
  const lastKnown = createLastKnown<Remembered>(deps.lastKnownCapacity ?? 10_000);
  // When a handshake last found a cohort's membership missing (unix ms), per project: /readyz.
  const lastUnavailable = new Map<number, { at: number; cohorts: readonly string[] }>();
  const NO_COHORTS: readonly string[] = Object.freeze([]);

  const countRate = (req: DecideRequest) => deps.rateLimitPerS !== undefined && (req.countRate ?? !req.explain);

  /** Counts served decisions by kind and reason (switchboard_decisions_total). */
  function count(result: DecideAllResult): void {
    const tally = deps.metrics?.decisions.tally();
    if (!tally) return;
    for (const k in result.flags) tally.flag[result.flags[k].reason]++;
    for (const k in result.configs) tally.config[result.configs[k].reason]++;
    for (const s of result.surveys) tally.survey[s.reason]++;
  }

  /**
   * Cohorts the snapshot says are materialized (active or paused) but whose live version is
   * missing in Redis: lost, never "not a member". Returns null when there are none.
   */
  function unavailableOf(snap: ProjectSnapshot, missing: readonly number[]): string[] | null {
    let out: string[] | null = null;
    for (const i of missing) {
      const c = snap.readCohorts[i];
      if (c && (c.state === 'active' || c.state === 'paused')) (out ??= []).push(c.key);
    }
    return out;
  }

  /**
   * The handshake read with the membership of `personId` (found in PostgreSQL): the read's own
   * answers checked no person. When Redis cannot say, every cohort is unavailable (its rules
   * are skipped), never "not a member".
   */
  async function membershipOf(req: DecideRequest, personId: number, cohortIds: readonly number[], read: HandshakeRead): Promise<HandshakeRead> {
    const distinctIds = req.anonId && req.anonId !== req.distinctId ? [req.distinctId, req.anonId] : [req.distinctId];
    const answers = deps.membership ? await deps.membership.membership(req.projectId, cohortIds.slice(), { personId, distinctIds }).catch(() => null) : null;
    if (!answers) return { ...read, members: cohortIds.map(() => false), missing: cohortIds.map((_, i) => i) };
    const missing: number[] = [];
    answers.forEach((a, i) => {
      if (a.version === null) missing.push(i);
    });
    return { ...read, members: answers.map((a) => a.member), missing };
  }

  function rateLimited(): never {
    deps.metrics?.rateLimited.inc({ scope: 'decide' });
    throw new AppError('rate_limited', `more than ${deps.rateLimitPerS} requests per second for this token`, undefined, 1);
  }

  async function snapshotOf(projectId: number): Promise<ProjectSnapshot> {
    const snap = deps.snapshots.peek(projectId) ?? (await deps.snapshots.get(projectId).catch(() => null));
    if (!snap) throw new AppError('unavailable', 'definitions are not loaded yet; retry', undefined, 1);
    return snap;
  }

  return {
    async decide(req: DecideRequest): Promise<DecideOutcome> {
      const t0 = performance.now();
      const snap = await snapshotOf(req.projectId);
      const only = req.only ? new Set(req.only) : undefined;
      const cacheKey = `${req.projectId}\u0000${req.distinctId}\u0000${req.anonId ?? ''}`;
      const cohortIds = snap.readCohortIds;

      let read: HandshakeRead;
      try {
        read = await deps.reader.read(req.projectId, req.distinctId, req.anonId ?? null, cohortIds, snap.limitedSurveys, countRate(req));
      } catch (err) {
        deps.metrics?.redisDegraded.inc();
        deps.logger.debug({ err: (err as Error).message }, 'handshake read failed; degraded');
        const known = lastKnown.get(cacheKey);
        const result = known ? staleFrom(snap.core, known, only) : defaultsFor(snap.core, only);
        count(result);
        return { result, snapshot: snap, personId: null, bucketingKey: req.distinctId, degraded: true, unavailableCohorts: NO_COHORTS, timing: { gatherMs: performance.now() - t0, evaluateMs: 0 } };
      }

      if (deps.rateLimitPerS !== undefined && read.rateCount > deps.rateLimitPerS) rateLimited();
      let person = personOf(read, req.distinctId, req.anonId);
      if (read.personId === null && !read.identityReady && deps.identityFallback) {
        // Redis lost the identity map (restart/flush): PostgreSQL answers while it is rebuilt.
        const id = await deps.identityFallback.resolve(req.projectId, req.distinctId, req.anonId).catch(() => null);
        if (id) {
          person = { personId: id.personId, bucketingKey: id.bucketingKey, properties: id.properties, surveyHistory: id.surveyHistory ?? { answered: [], lastShownAt: null } };
          if (id.personId !== null && cohortIds.length) read = await membershipOf(req, id.personId, cohortIds, read);
        }
      }

      const t1 = performance.now();
      const unavailable = read.missing.length ? unavailableOf(snap, read.missing) : null;
      if (unavailable) {
        deps.metrics?.membershipUnavailable.inc();
        lastUnavailable.set(req.projectId, { at: Date.now(), cohorts: unavailable });
      }
      const input = decisionInput(snap, req, person, read, now(), only, unavailable);
      const result = decideAll(snap.core, input);
      const t2 = performance.now();
      count(result);
      if (!req.explain && req.record !== false) {
        lastKnown.set(cacheKey, rememberOf(snap.core, result));
        // the bucketing key is stable when the person is created (it is that first id)
        deps.exposures?.record(req.projectId, req.distinctId, person.bucketingKey, result.flags);
      }
      return { result, snapshot: snap, personId: person.personId, bucketingKey: person.bucketingKey, degraded: false, unavailableCohorts: unavailable ?? NO_COHORTS, timing: { gatherMs: t1 - t0, evaluateMs: t2 - t1 } };
    },

    /**
     * Decides for nobody (a keyless OFREP request): no identity lookup, no person, no Redis
     * read, so no degraded mode. The distinct_id is '' and the bucketing key '' (native rules
     * that need one answer TARGETING_KEY_MISSING); every cohort reads as "not a member", which
     * is true of nobody; nothing is remembered and no exposure is recorded.
     */
    async decideKeyless(req: KeylessRequest): Promise<{ result: DecideAllResult; snapshot: ProjectSnapshot }> {
      const snap = await snapshotOf(req.projectId);
      // No Redis read to count it in: the limiter counts it (failing open, as the read does).
      if (deps.rateLimitPerS !== undefined && deps.limiter) {
        const n = await deps.limiter.hit('decide', req.projectId);
        if (n !== null && n > deps.rateLimitPerS) rateLimited();
      }
      const result = decideAll(snap.core, {
        distinctId: '',
        bucketingKey: '',
        keyless: req.targetingKey === undefined ? {} : { targetingKey: req.targetingKey },
        properties: req.context,
        cohorts: new Set(),
        cohortStatus: snap.cohortStatus,
        now: now(),
        only: req.only ? new Set(req.only) : undefined,
      });
      count(result);
      return { result, snapshot: snap };
    },

    /**
     * Projects where a handshake found lost cohort membership in the last `withinMs` ms
     * (default 10 s), with those cohorts: what /readyz reports while the refresher recovers.
     */
    unavailableMembership(withinMs = 10_000): Array<{ projectId: number; cohorts: readonly string[] }> {
      const since = Date.now() - withinMs;
      const out: Array<{ projectId: number; cohorts: readonly string[] }> = [];
      for (const [projectId, u] of lastUnavailable) {
        if (u.at >= since) out.push({ projectId, cohorts: u.cohorts });
        else lastUnavailable.delete(projectId);
      }
      return out;
    },
  };
}

export type DecideService = ReturnType<typeof createDecideService>;
