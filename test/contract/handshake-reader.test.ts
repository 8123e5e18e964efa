/**
 * The HandshakeReader contract (ports/handshake-reader.ts) over the identity map and
 * membership written through the other ports of the same family, against Redis and the
 * in-process adapters; and the RateLimiter contract, whose `decide` window the handshake counts in.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { doc } from './docs.js';
import { FAMILIES, type Adapters } from './families.js';

const P = 1;

describe.each(FAMILIES)('HandshakeReader and RateLimiter contract: $name', (family) => {
  let a: Adapters;
  beforeEach(async () => {
    a = await family.make();
  });
  afterEach(async () => a.cleanup());

  it('reads nothing for an unknown id: every cohort missing, counters at 0, no rate counted', async () => {
    const r = await a.reader.read(P, 'u1', null, [10, 11], ['s'], false);
    expect(r).toEqual({ personId: null, person: null, identityReady: false, usedAnon: false, members: [false, false], missing: [0, 1], responses: [0], rateCount: 0 });
  });

  it('reads identity, membership of each cohort, survey responses in one call', async () => {
    await a.identity.write(P, { docs: [doc(7, 1, { country: 'DE' })], newIds: [['anon', 7]], surveyCounts: new Map([['s1', 4]]), ready: true });
    await a.identity.write(P, { surveyIncrements: new Map([['s1', 2], ['s2', 1]]) });
    await a.membership.writeVersion(P, 10, 1, ['7']);
    await a.membership.switchTo(P, 10, 1);
    await a.membership.writeVersion(P, 11, 1, ['d:u1']);
    await a.membership.switchTo(P, 11, 1);
    await a.membership.writeVersion(P, 12, 1, ['8']);
    await a.membership.switchTo(P, 12, 1);
    const cohorts = [10, 11, 12, 13];
    const r = await a.reader.read(P, 'u1', 'anon', cohorts, ['s1', 's2', 's3']);
    expect(r).toEqual({
      personId: 7,
      person: { id: 7, bucketingKey: 'bk-7', properties: { country: 'DE' }, identified: false, surveyHistory: { answered: [], lastShownAt: null } },
      identityReady: true,
      usedAnon: true,
      members: [true, true, false, false],
      missing: [3],
      responses: [6, 1, 0],
      rateCount: 0,
    });
    // The anon_id's d:<id> entry counts as well (a static id the person had before).
    await a.membership.addMembers(P, 12, ['d:anon']);
    expect((await a.reader.read(P, 'someone', 'anon', cohorts, [])).members).toEqual([true, false, true, false]);
  });

  it('counts the handshake in the project decide window the rate limiter shares', async () => {
    expect((await a.reader.read(P, 'u', null, [], [], true)).rateCount).toBe(1);
    expect((await a.reader.read(P, 'u', null, [], [], true)).rateCount).toBe(2);
    expect(await a.limiter.hit('decide', P)).toBe(3);
    expect(await a.limiter.hit('ingest', P)).toBe(1);
    expect(await a.limiter.hit('admin', P)).toBe(1);
    expect(await a.limiter.hit('decide', 2)).toBe(1);
    expect((await a.reader.read(P, 'u', null, [], [], false)).rateCount).toBe(0);
  });

  it('opens a new rate window 1 s after the first hit of the last one', async () => {
    expect(await a.limiter.hit('ingest', 5)).toBe(1);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await a.limiter.hit('ingest', 5)).toBe(1);
  });
});
