import type { HandshakeRead, HandshakeReader } from '../../src/ports/handshake-reader.js';
import type { FakeIdentityCache } from './fake-identity-cache.js';
import type { FakeMembershipStore } from './fake-membership-store.js';

/** The arguments of one `read`. */
export interface FakeReadCall {
  projectId: number;
  distinctId: string;
  anonId: string | null;
  cohortIds: readonly number[];
  surveyKeys: readonly string[];
}

/**
 * The handshake's one read over the fake identity map and membership store, as the real
 * script (adapters/redis/handshake-reader.ts) folds them into one call: identity from
 * distinct_id, else anon_id; membership of that person id, or `d:<id>` of distinct_id and
 * anon_id (when given); survey response counters. The two fakes stand for one Redis.
 *
 * Inspection: `calls` (one entry per read, arguments as passed). `failNext(err)` makes the
 * next read reject (a timeout); `fail(err)` every read until `fail(null)`.
 */
export function createFakeHandshakeReader(deps: { identity: FakeIdentityCache; membership: FakeMembershipStore }) {
  const calls: FakeReadCall[] = [];
  let once: Error | null = null;
  let always: Error | null = null;
  const reader: HandshakeReader & { calls: FakeReadCall[]; failNext(err: Error): void; fail(err: Error | null): void } = {
    async read(projectId, distinctId, anonId, cohortIds, surveyKeys): Promise<HandshakeRead> {
      calls.push({ projectId, distinctId, anonId, cohortIds, surveyKeys });
      const err = once ?? always;
      once = null;
      if (err) throw err;
      const id = deps.identity.peek(projectId, distinctId, anonId);
      const members = await deps.membership.isMember(projectId, [...cohortIds], {
        personId: id.personId,
        distinctIds: anonId ? [distinctId, anonId] : [distinctId],
      });
      return {
        personId: id.personId,
        person: id.person,
        identityReady: id.ready,
        usedAnon: id.usedAnon,
        members,
        missing: (await deps.membership.liveVersions(projectId, cohortIds)).flatMap((v, i) => (v === null ? [i] : [])),
        responses: surveyKeys.map((k) => deps.identity.responses(projectId, k)),
      };
    },
    calls,
    failNext: (err) => void (once = err),
    fail: (err) => void (always = err),
  };
  return reader;
}

export type FakeHandshakeReader = ReturnType<typeof createFakeHandshakeReader>;
