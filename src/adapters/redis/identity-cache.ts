import type { ChainableCommander } from 'ioredis';
import type { IdentityCache, IdentityCacheWrite, IdentityLookup } from '../../ports/identity-cache.js';
import type { RedisClient } from './client.js';
import type { Keys } from './keys.js';
import { IDENTITY_LOOKUP_LUA, PERSON_DOC_SET_LUA } from './identity-lua.js';
import { decodePersonDoc, encodePersonDoc } from './person-document.js';

type LookupFn = (k1: string, k2: string, k3: string, prefix: string) => Promise<[number, string | null, number]>;
type DocSetFn = (this: ChainableCommander, key: string, version: string, doc: string) => ChainableCommander;

/**
 * The identity map in Redis. `redis` is the hot-path connection (short timeout) used for
 * lookups; `bulk` is a connection with a longer timeout for write-throughs and rebuilds.
 */
export function createIdentityCache(deps: { redis: RedisClient; bulk: RedisClient; keys: Keys }): IdentityCache {
  const { redis, bulk, keys } = deps;
  redis.defineCommand('sbIdentityLookup', { numberOfKeys: 3, lua: IDENTITY_LOOKUP_LUA });
  bulk.defineCommand('sbPersonDocSet', { numberOfKeys: 1, lua: PERSON_DOC_SET_LUA });
  const lookupFn = (redis as unknown as { sbIdentityLookup: LookupFn }).sbIdentityLookup.bind(redis);
  const personPrefix = (projectId: number) => keys.person(projectId, 0).slice(0, -1);

  return {
    /** ONE round trip (EVALSHA): distinct_id, else anon_id -> person document. Rejects on Redis errors. */
    async lookup(projectId: number, distinctId: string, anonId?: string | null): Promise<IdentityLookup> {
      const did = keys.distinctId(projectId, distinctId);
      const anon = anonId && anonId !== distinctId ? keys.distinctId(projectId, anonId) : did;
      const [ready, doc, usedAnon] = await lookupFn(keys.identityReady(projectId), did, anon, personPrefix(projectId));
      return { ready: ready === 1, person: doc ? decodePersonDoc(doc) : null, usedAnon: usedAnon === 1 };
    },

    /** Applies one batch of changes in one pipeline; rejects if any command failed. */
    async write(projectId: number, w: IdentityCacheWrite): Promise<void> {
      const pipe = bulk.pipeline();
      const docSet = (pipe as unknown as { sbPersonDocSet: DocSetFn }).sbPersonDocSet;
      for (const d of w.docs ?? []) docSet.call(pipe, keys.person(projectId, d.id), String(d.version), encodePersonDoc(d));
      for (const [d, pid] of w.newIds ?? []) pipe.set(keys.distinctId(projectId, d), String(pid), 'NX');
      for (const [d, pid] of w.setIds ?? []) pipe.set(keys.distinctId(projectId, d), String(pid));
      if (w.removedIds?.length) pipe.del(...w.removedIds.map((d) => keys.distinctId(projectId, d)));
      if (w.removedPersons?.length) pipe.del(...w.removedPersons.map((id) => keys.person(projectId, id)));
      for (const [k, n] of w.surveyIncrements ?? []) pipe.incrby(keys.surveyResponses(projectId, k), n);
      for (const [k, n] of w.surveyCounts ?? []) pipe.set(keys.surveyResponses(projectId, k), String(n));
      if (w.ready) pipe.set(keys.identityReady(projectId), '1');
      if (pipe.length === 0) return;
      const results = await pipe.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },

    /** Forgets that the project's identity map is complete: the next lookup rebuilds it. */
    async clearReady(projectId: number): Promise<void> {
      await bulk.del(keys.identityReady(projectId));
    },
  };
}

