/**
 * The decide service over in-memory fakes: snapshots built by the real createSnapshots from
 * a fake SnapshotSource, the handshake read from fake Redis stores. The real Redis and
 * PostgreSQL behaviour stays covered by test/http/decide.test.ts, degraded.test.ts and
 * test/integration/identity.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { PersonDoc } from '../../../src/domain/person.js';
import { createDecideService, type DecideDeps } from '../../../src/services/decide.js';
import { createIdentityService } from '../../../src/services/identity.js';
import { createSnapshots } from '../../../src/services/snapshots.js';
import { createFakeEventStore } from '../../fakes/fake-event-store.js';
import { createFakeHandshakeReader } from '../../fakes/fake-handshake-reader.js';
import { createFakeIdentityCache } from '../../fakes/fake-identity-cache.js';
import { createFakeMembershipStore } from '../../fakes/fake-membership-store.js';
import { createFakePersonStore } from '../../fakes/fake-person-store.js';
import { createFakeSnapshotSource } from '../../fakes/fake-snapshot-source.js';
import { createFakeTransactions } from '../../fakes/fake-transactions.js';

const silent = pino({ level: 'silent' });
const T0 = 1_700_000_000_000;
const P = 1;
const VIP = 10; // a dynamic cohort
const LIST = 11; // a static cohort

const doc = (id: number, bucketingKey: string, properties: Record<string, unknown>): PersonDoc => ({
  id, bucketingKey, propertiesJson: JSON.stringify(properties), identified: false, version: 1, surveyHistory: { answered: [], lastShownAt: null },
});

/** A project with a targeted flag, a cohort flag, a split, a config and a limited survey. */
function setup(extra: Partial<DecideDeps> = {}) {
  const source = createFakeSnapshotSource();
  source.project(P);
  source.define(P, 'flag', 'beta', { enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'pro', condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'on' } }] });
  source.define(P, 'flag', 'vip-only', { enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'vip', cohorts: { all: ['vip'] }, serve: { variant: 'on' } }] });
  source.define(P, 'flag', 'listed', { enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'list', cohorts: { all: ['list'] }, serve: { variant: 'on' } }] });
  source.define(P, 'flag', 'checkout', {
    enabled: true, default_variant: 'a', off_variant: 'a', variants: { a: { value: 'a' }, b: { value: 'b' } },
    rules: [{ id: 'ab', serve: { split: [{ variant: 'a', weight: 50 }, { variant: 'b', weight: 50 }] } }],
  });
  source.define(P, 'config', 'limits', { schema: { type: 'integer' }, default: 10, rules: [{ id: 'big', condition: { '>': [{ var: 'seats' }, 100] }, serve: { value: 1000 } }] });
  source.define(P, 'survey', 'nps', { name: 'NPS', enabled: true, questions: [{ id: 'q', type: 'rating', question: 'How likely?', scale: 10 }], response_limit: 100 });
  source.cohort(P, { id: VIP, key: 'vip', state: 'active', version: 1, asOf: T0 - 60_000 });
  source.cohort(P, { id: LIST, key: 'list', state: 'active', version: 1, asOf: T0 - 60_000 });

  const identity = createFakeIdentityCache();
  const membership = createFakeMembershipStore();
  const reader = createFakeHandshakeReader({ identity, membership });
  const snapshots = createSnapshots({ source, logger: silent, pollMs: 60_000 });
  const recorded: Array<{ distinctId: string; personKey: string; flags: string[] }> = [];
  const decide = createDecideService({
    snapshots, reader, logger: silent, now: () => T0,
    exposures: { record: (_p, distinctId, personKey, flags) => void recorded.push({ distinctId, personKey, flags: Object.keys(flags) }) },
    ...extra,
  });
  return { source, identity, membership, reader, snapshots, decide, recorded };
}

/** Ann (person 5, plan pro) is in the identity map and in the vip cohort's live version. */
async function withAnn(s: ReturnType<typeof setup>) {
  await s.identity.write(P, { docs: [doc(5, 'ann', { plan: 'pro', seats: 500 })], setIds: [['ann', 5]], ready: true });
  await s.membership.writeVersion(P, VIP, 1, ['5']);
  await s.membership.switchTo(P, VIP, 1);
}

describe('decide service (fakes)', () => {
  it('decides from the snapshot, the stored person properties and the cohorts the person is in', async () => {
    const s = setup();
    await withAnn(s);
    const out = await s.decide.decide({ projectId: P, distinctId: 'ann' });
    expect(out).toMatchObject({ personId: 5, bucketingKey: 'ann', degraded: false });
    expect(out.result.flags.beta).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH', rule_id: 'pro', version: 1 });
    expect(out.result.flags['vip-only']).toMatchObject({ value: true, reason: 'TARGETING_MATCH', freshness: [{ cohort: 'vip', state: 'active', as_of: new Date(T0 - 60_000).toISOString() }] });
    expect(out.result.flags.listed).toMatchObject({ value: false, reason: 'DEFAULT' });
    expect(out.result.configs.limits).toMatchObject({ value: 1000, reason: 'TARGETING_MATCH' });
    expect(out.result.surveys.map((v) => v.key)).toEqual(['nps']);

    const stranger = await s.decide.decide({ projectId: P, distinctId: 'bob' });
    expect(stranger).toMatchObject({ personId: null, bucketingKey: 'bob', degraded: false });
    expect(stranger.result.flags.beta.reason).toBe('DEFAULT');
    expect(stranger.result.flags['vip-only'].value).toBe(false);
  });

  it('overlays request properties and context on the stored properties', async () => {
    const s = setup();
    await withAnn(s);
    const out = await s.decide.decide({ projectId: P, distinctId: 'ann', personProperties: { plan: 'free' }, context: { seats: 3 } });
    expect(out.result.flags.beta.reason).toBe('DEFAULT');
    expect(out.result.configs.limits.value).toBe(10);
  });

  it('reads Redis once per decide, with the snapshot\'s cohort ids and limited surveys, and loads the snapshot once', async () => {
    const s = setup();
    await withAnn(s);
    for (const id of ['ann', 'bob', 'ann']) await s.decide.decide({ projectId: P, distinctId: id });
    expect(s.reader.calls).toHaveLength(3);
    expect(s.source.loads).toBe(1);
    const snap = s.snapshots.peek(P)!;
    for (const call of s.reader.calls) {
      // the same array objects every time: the real reader caches its key list per array
      expect(call.cohortIds).toBe(snap.readCohortIds);
      expect(call.surveyKeys).toBe(snap.limitedSurveys);
    }
    expect(snap.readCohortIds).toEqual([VIP, LIST]);
    expect(snap.limitedSurveys).toEqual(['nps']);
  });

  it('stops offering a survey once the response counter read with the handshake reaches its limit', async () => {
    const s = setup();
    await s.identity.write(P, { surveyCounts: new Map([['nps', 99]]), ready: true });
    expect((await s.decide.decide({ projectId: P, distinctId: 'u' })).result.surveys.map((v) => v.key)).toEqual(['nps']);
    await s.identity.write(P, { surveyIncrements: new Map([['nps', 1]]) });
    expect((await s.decide.decide({ projectId: P, distinctId: 'u' })).result.surveys).toEqual([]);
  });

  it('answers every default with reason ERROR when the read fails for a person never served', async () => {
    const s = setup();
    s.reader.failNext(new Error('Command timed out'));
    const out = await s.decide.decide({ projectId: P, distinctId: 'new-user' });
    expect(out).toMatchObject({ degraded: true, personId: null, bucketingKey: 'new-user' });
    expect(out.result.flags.beta).toMatchObject({ value: false, variant: 'off', reason: 'ERROR', error_code: 'GENERAL' });
    expect(out.result.configs.limits).toMatchObject({ value: 10, reason: 'ERROR' });
    expect(out.result.surveys).toEqual([]);
    expect(s.recorded).toEqual([]); // no exposure for a degraded answer
  });

  it('re-serves the last variants as STALE when the read fails for a person served before', async () => {
    const s = setup();
    await withAnn(s);
    const healthy = await s.decide.decide({ projectId: P, distinctId: 'ann' });
    s.reader.fail(new Error('Command timed out'));
    const stale = await s.decide.decide({ projectId: P, distinctId: 'ann' });
    expect(stale.degraded).toBe(true);
    expect(stale.result.flags.beta).toMatchObject({ value: true, variant: 'on', reason: 'STALE' });
    expect(stale.result.flags['vip-only']).toMatchObject({ value: true, reason: 'STALE' });
    expect(stale.result.flags.checkout).toMatchObject({ variant: healthy.result.flags.checkout.variant, reason: 'STALE' });
    expect(stale.result.surveys.map((v) => [v.key, v.reason])).toEqual([['nps', 'STALE']]);
    // remembered per (distinct_id, anon_id): another anon_id is another handshake
    expect((await s.decide.decide({ projectId: P, distinctId: 'ann', anonId: 'x' })).result.flags.beta.reason).toBe('ERROR');
    s.reader.fail(null);
    expect((await s.decide.decide({ projectId: P, distinctId: 'ann' })).result.flags.beta.reason).toBe('TARGETING_MATCH');
  });

  it('does not remember explain results (an admin trace is not what the person was served)', async () => {
    const s = setup();
    await withAnn(s);
    const explained = await s.decide.decide({ projectId: P, distinctId: 'ann', explain: true });
    expect(explained.result.flags.beta.trace?.[0]).toMatchObject({ rule_id: 'pro', result: 'matched' });
    expect(s.recorded).toEqual([]);
    s.reader.failNext(new Error('down'));
    expect((await s.decide.decide({ projectId: P, distinctId: 'ann' })).result.flags.beta.reason).toBe('ERROR');
    await s.decide.decide({ projectId: P, distinctId: 'ann' });
    expect(s.recorded).toEqual([{ distinctId: 'ann', personKey: 'ann', flags: ['beta', 'vip-only', 'listed', 'checkout'] }]);
  });

  it('decides only the keys asked for with `only`, healthy or degraded', async () => {
    const s = setup();
    await withAnn(s);
    const out = await s.decide.decide({ projectId: P, distinctId: 'ann', only: ['beta', 'nps'] });
    expect(Object.keys(out.result.flags)).toEqual(['beta']);
    expect(out.result.configs).toEqual({});
    expect(out.result.surveys.map((v) => v.key)).toEqual(['nps']);
    s.reader.failNext(new Error('down'));
    const degraded = await s.decide.decide({ projectId: P, distinctId: 'ann', only: ['limits'] });
    expect(Object.keys(degraded.result.flags)).toEqual([]);
    expect(Object.keys(degraded.result.configs)).toEqual(['limits']);
  });

  it('buckets a new distinct_id by its anon_id\'s person and matches static members listed by anon_id', async () => {
    const s = setup();
    await s.identity.write(P, { docs: [doc(7, 'anon-1', {})], newIds: [['anon-1', 7]], ready: true });
    const byAnon = await s.decide.decide({ projectId: P, distinctId: 'anon-1' });
    const continued = await s.decide.decide({ projectId: P, distinctId: 'user-1', anonId: 'anon-1' });
    expect(continued).toMatchObject({ personId: 7, bucketingKey: 'anon-1' });
    expect(continued.result.flags.checkout.variant).toBe(byAnon.result.flags.checkout.variant);

    // a static cohort lists an id nobody has used yet: `d:<id>` in the set
    await s.membership.writeVersion(P, LIST, 1, ['d:anon-2']);
    await s.membership.switchTo(P, LIST, 1);
    expect((await s.decide.decide({ projectId: P, distinctId: 'user-2', anonId: 'anon-2' })).result.flags.listed.value).toBe(true);
    expect((await s.decide.decide({ projectId: P, distinctId: 'user-2' })).result.flags.listed.value).toBe(false);
    expect(s.reader.calls.map((c) => c.anonId)).toEqual([null, 'anon-1', 'anon-2', null]);
  });

  it('asks PostgreSQL (identity fallback) while the identity map is not ready, and rebuilds the map', async () => {
    const events = createFakeEventStore();
    const persons = createFakePersonStore({ events });
    const cache = createFakeIdentityCache();
    const membership = createFakeMembershipStore();
    const identity = createIdentityService({ tx: createFakeTransactions(), persons, events, cache, logger: silent });
    const reader = createFakeHandshakeReader({ identity: cache, membership });
    const s = setup({ reader, identityFallback: { resolve: identity.resolveFromStore } });
    const carol = persons.seed(P, { distinctIds: ['anon-c', 'carol'], bucketingKey: 'anon-c', properties: { plan: 'pro' } });

    const out = await s.decide.decide({ projectId: P, distinctId: 'carol' });
    expect(out).toMatchObject({ personId: carol.id, bucketingKey: 'anon-c', degraded: false });
    expect(out.result.flags.beta.reason).toBe('TARGETING_MATCH');
    await identity.idle();
    expect(cache.isReady(P)).toBe(true);
    expect(cache.personIdOf(P, 'carol')).toBe(carol.id);
    expect(cache.doc(P, carol.id)).toMatchObject({ bucketingKey: 'anon-c', propertiesJson: '{"plan":"pro"}' });
  });

  it('does not ask the fallback once the map is ready: an unknown id is nobody', async () => {
    let asked = 0;
    const resolve = async () => {
      asked++;
      return { personId: 1, bucketingKey: 'x', properties: {} };
    };
    const s = setup({ identityFallback: { resolve } });
    s.identity.markReady(P);
    expect(await s.decide.decide({ projectId: P, distinctId: 'nobody' })).toMatchObject({ personId: null, bucketingKey: 'nobody' });
    expect(asked).toBe(0);
  });

  it('answers unavailable when the project\'s definitions were never loaded and cannot be', async () => {
    const s = setup();
    s.source.fail(new Error('connection refused'));
    await expect(s.decide.decide({ projectId: P, distinctId: 'ann' })).rejects.toMatchObject({ code: 'unavailable', retryAfterS: 1 });
    await expect(s.decide.decide({ projectId: 999, distinctId: 'ann' })).rejects.toMatchObject({ code: 'unavailable' });
    s.source.fail(null);
    await expect(s.decide.decide({ projectId: 999, distinctId: 'ann' })).rejects.toMatchObject({ code: 'unavailable' });
    expect((await s.decide.decide({ projectId: P, distinctId: 'ann' })).degraded).toBe(false);
  });
});
