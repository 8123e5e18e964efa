import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { PersonDoc } from '../domain/person.js';
import type { PersonStore } from '../ports/person-store.js';
import type { EventStore } from '../ports/event-store.js';
import type { IdentityCache, IdentityCacheWrite, IdentityLookup } from '../ports/identity-cache.js';
import type { Transactions } from '../ports/db.js';

/** Who a distinct_id (and optional anon_id) is, for decisions (PRODUCT.md 5). */
export interface ResolvedIdentity {
  personId: number | null;
  /** the person's bucketing key; the distinct_id itself when there is no person */
  bucketingKey: string;
  properties: Record<string, unknown>;
  identified: boolean;
  /** the anon_id's person was used (distinct_id not known yet) */
  usedAnon: boolean;
  /** all distinct ids of the person; only filled when answered from PostgreSQL */
  distinctIds?: string[];
  surveyHistory: { answered: string[]; lastShownAt: number | null };
}

export interface IdentityDeps {
  tx: Transactions;
  persons: Pick<PersonStore, 'mappings' | 'docs' | 'docsPage' | 'distinctIdsOf' | 'lockIdentityRebuild'>;
  events: Pick<EventStore, 'surveyResponseCounts'>;
  cache: IdentityCache;
  logger: Logger;
  /** persons per rebuild page (and per Redis pipeline) */
  rebuildPageSize?: number;
  /** ms between two rebuild attempts of one project after a failure */
  rebuildRetryMs?: number;
}

const unknown = (distinctId: string): ResolvedIdentity => ({
  personId: null, bucketingKey: distinctId, properties: {}, identified: false, usedAnon: false, surveyHistory: { answered: [], lastShownAt: null },
});

/**
 * Identity resolution and the Redis identity map: lookups from Redis (one round trip),
 * PostgreSQL when the map is not complete (after a Redis flush or restart) while a
 * background rebuild refills it, and the write-through used by ingest, engage and alias.
 */
export function createIdentityService(deps: IdentityDeps) {
  const { tx, persons, cache, logger } = deps;
  const pageSize = deps.rebuildPageSize ?? 1_000;
  const retryMs = deps.rebuildRetryMs ?? 5_000;
  const rebuilding = new Map<number, Promise<void>>();
  const lastFailure = new Map<number, number>();
  // Projects whose write-through failed: their "ready" flag must go, so a rebuild repairs them.
  const stale = new Set<number>();

  async function clearStale(): Promise<void> {
    for (const projectId of [...stale]) {
      try {
        await cache.clearReady(projectId);
        stale.delete(projectId);
      } catch {
        return; // Redis still away; try again on the next call
      }
    }
  }

  /** One rebuild, in a transaction that holds the rebuild lock (identity changes wait for its end). */
  async function rebuildNow(projectId: number): Promise<void> {
    await tx.run(async (db) => {
      if (!(await persons.lockIdentityRebuild(db, projectId))) {
        lastFailure.set(projectId, Date.now()); // another process is on it: look again later
        return;
      }
      let after = 0;
      let total = 0;
      for (;;) {
        const page = await persons.docsPage(db, projectId, after, pageSize);
        if (page.length === 0) break;
        const setIds: Array<[string, number]> = [];
        for (const p of page) for (const d of p.distinctIds) setIds.push([d, p.id]);
        await cache.write(projectId, { docs: page, setIds });
        after = page[page.length - 1].id;
        total += page.length;
      }
      const surveyCounts = await deps.events.surveyResponseCounts(db, projectId);
      await cache.write(projectId, { surveyCounts, ready: true });
      logger.info({ projectId, persons: total }, 'identity map rebuilt in Redis');
    });
  }

  /** Rebuilds the project's identity map in the background, once at a time per project. */
  function rebuild(projectId: number): Promise<void> {
    let running = rebuilding.get(projectId);
    if (!running) {
      running = rebuildNow(projectId)
        .catch((err) => {
          lastFailure.set(projectId, Date.now());
          logger.warn({ err, projectId }, 'identity map rebuild failed');
        })
        .finally(() => rebuilding.delete(projectId));
      rebuilding.set(projectId, running);
    }
    return running;
  }

  function startRebuild(projectId: number): void {
    if (rebuilding.has(projectId) || Date.now() - (lastFailure.get(projectId) ?? 0) < retryMs) return;
    void rebuild(projectId);
  }

  /** PostgreSQL's answer; starts the rebuild of the Redis map. Same rules as `resolve`. */
  async function resolveFromStore(projectId: number, distinctId: string, anonId?: string | null): Promise<ResolvedIdentity> {
    startRebuild(projectId);
    const ids = anonId && anonId !== distinctId ? [distinctId, anonId] : [distinctId];
    const map = await persons.mappings(tx.db, projectId, ids);
    const own = map.get(distinctId);
    const personId = own ?? (anonId ? map.get(anonId) : undefined);
    if (personId === undefined) return unknown(distinctId);
    const [doc] = await persons.docs(tx.db, projectId, [personId]);
    if (!doc) return unknown(distinctId);
    const dids = await persons.distinctIdsOf(tx.db, projectId, [personId]);
    return {
      personId,
      bucketingKey: doc.bucketingKey,
      properties: JSON.parse(doc.propertiesJson) as Record<string, unknown>,
      identified: doc.identified,
      usedAnon: own === undefined,
      distinctIds: dids.get(personId) ?? [],
      surveyHistory: doc.surveyHistory,
    };
  }

  return {
    /**
     * distinct_id (and optional anon_id) -> person (PRODUCT.md 5): distinct_id's person when
     * it is known, else anon_id's, else no person (bucketing key = distinct_id).
     * One Redis round trip when the project's map is complete; PostgreSQL otherwise.
     * Throws AppError `unavailable` when Redis cannot be read (callers degrade).
     */
    async resolve(projectId: number, distinctId: string, anonId?: string | null): Promise<ResolvedIdentity> {
      if (stale.size) await clearStale();
      let found: IdentityLookup;
      try {
        found = await cache.lookup(projectId, distinctId, anonId);
      } catch (err) {
        throw new AppError('unavailable', `identity map unavailable: ${(err as Error).message}`, undefined, 1);
      }
      if (found.person) {
        const p = found.person;
        return {
          personId: p.id, bucketingKey: p.bucketingKey, properties: p.properties, identified: p.identified, usedAnon: found.usedAnon,
          surveyHistory: p.surveyHistory,
        };
      }
      if (found.ready) return unknown(distinctId);
      return resolveFromStore(projectId, distinctId, anonId);
    },

    resolveFromStore,
    rebuild,

    /**
     * Write-through after a commit: applies `w`, plus documents of `reload` persons read
     * fresh from PostgreSQL. Best-effort: a failure marks the project's map incomplete
     * (it is rebuilt on the next lookup) and never fails the caller's write.
     */
    async sync(projectId: number, w: IdentityCacheWrite, reload: readonly number[] = []): Promise<void> {
      try {
        if (stale.size) await clearStale();
        let docs: readonly PersonDoc[] = w.docs ?? [];
        if (reload.length) docs = [...docs, ...(await persons.docs(tx.db, projectId, reload))];
        await cache.write(projectId, { ...w, docs });
      } catch (err) {
        logger.warn({ err, projectId }, 'identity write-through failed; the Redis map will be rebuilt');
        stale.add(projectId);
        await clearStale();
      }
    },

    /** Waits for running rebuilds (tests, shutdown). */
    async idle(): Promise<void> {
      await Promise.all([...rebuilding.values()]);
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
