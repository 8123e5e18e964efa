/** The MembershipStore contract (ports/membership-store.ts), against Redis and the in-process adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MembershipStore } from '../../src/ports/membership-store.js';
import { FAMILIES, type Adapters } from './families.js';

const P = 1;
const person = (id: number) => ({ personId: id, distinctIds: [] });

describe.each(FAMILIES)('MembershipStore contract: $name', (family) => {
  let a: Adapters;
  let m: MembershipStore;
  beforeEach(async () => {
    a = await family.make();
    m = a.membership;
  });
  afterEach(async () => a.cleanup());

  it('knows nothing of a cohort never materialized, and changes nothing for it', async () => {
    expect(await m.currentVersion(P, 10)).toBeNull();
    expect(await m.liveVersions(P, [10, 11])).toEqual([null, null]);
    expect(await m.membership(P, [10], person(1))).toEqual([{ member: false, version: null }]);
    expect(await m.addMembers(P, 10, ['1'])).toBeNull();
    expect(await m.removeMembers(P, 10, ['1'])).toBeNull();
    expect(await m.bytes(P, 10, 1)).toBe(0);
    expect(await m.dropAll(P, 10, 1, 3)).toBe(0);
  });

  it('serves a written version only once switched to, by person id or d:<distinct_id>', async () => {
    await m.writeVersion(P, 10, 1, ['1', '2', 'd:pinned']);
    expect(await m.membership(P, [10], person(1))).toEqual([{ member: false, version: null }]);
    expect(await m.switchTo(P, 10, 1)).toBe(0);
    expect(await m.membership(P, [10], person(1))).toEqual([{ member: true, version: 1 }]);
    expect(await m.isMember(P, [10], person(3))).toEqual([false]);
    expect(await m.isMember(P, [10], { personId: null, distinctIds: ['pinned'] })).toEqual([true]);
    expect(await m.isMember(P, [10], { personId: null, distinctIds: [] })).toEqual([false]);
    expect(await m.bytes(P, 10, 1)).toBeGreaterThan(0);
    expect(await m.membership(2, [10], person(1))).toEqual([{ member: false, version: null }]);
  });

  it('switches only forwards: the previous version, or -1 when refused', async () => {
    expect(await m.switchTo(P, 10, 2)).toBe(0);
    expect(await m.switchTo(P, 10, 2)).toBe(-1);
    expect(await m.switchTo(P, 10, 1)).toBe(-1);
    expect(await m.switchTo(P, 10, 5)).toBe(2);
    expect(await m.currentVersion(P, 10)).toBe(5);
  });

  it('replaces a leftover set of the same version; an empty version is live with no member', async () => {
    await m.writeVersion(P, 10, 1, ['1', '2']);
    await m.writeVersion(P, 10, 1, ['3']);
    await m.switchTo(P, 10, 1);
    expect(await m.isMember(P, [10, 10], person(1))).toEqual([false, false]);
    expect(await m.isMember(P, [10], person(3))).toEqual([true]);
    await m.writeVersion(P, 11, 1, []);
    await m.switchTo(P, 11, 1);
    expect(await m.bytes(P, 11, 1)).toBe(0);
    expect(await m.membership(P, [11], person(1))).toEqual([{ member: false, version: 1 }]);
    expect(await m.addMembers(P, 11, ['1'])).toEqual({ version: 1, changed: 1 });
    expect(await m.isMember(P, [11], person(1))).toEqual([true]);
  });

  it('adds and removes on the live version, counting only real changes', async () => {
    await m.writeVersion(P, 10, 1, ['1']);
    await m.switchTo(P, 10, 1);
    expect(await m.addMembers(P, 10, ['1', '2', '2', '3'])).toEqual({ version: 1, changed: 2 });
    expect(await m.addMembers(P, 10, [])).toEqual({ version: 1, changed: 0 });
    expect(await m.removeMembers(P, 10, ['2', '9'])).toEqual({ version: 1, changed: 1 });
    expect(await m.removeMembers(P, 10, ['1', '3'])).toEqual({ version: 1, changed: 2 });
    // An emptied version holds no one and stays live (how many bytes its keys keep is the adapter's).
    expect(await m.isMember(P, [10], person(1))).toEqual([false]);
    expect(await m.scanMembers(P, 10, 1, null, 10)).toEqual({ members: [], cursor: null });
    expect(await m.currentVersion(P, 10)).toBe(1);
  });

  it('drops one version, or the pointer and every version in a range', async () => {
    await m.writeVersion(P, 10, 1, ['1']);
    await m.switchTo(P, 10, 1);
    await m.writeVersion(P, 10, 2, ['2']);
    await m.switchTo(P, 10, 2);
    await m.dropVersion(P, 10, 1);
    expect(await m.bytes(P, 10, 1)).toBe(0);
    expect(await m.isMember(P, [10], person(2))).toEqual([true]);
    await m.writeVersion(P, 10, 3, ['3']);
    // pointer + v2 + v3 existed (one key each in a set layout, more in the chunked one); v1 was already gone
    expect(await m.dropAll(P, 10, 1, 3)).toBeGreaterThanOrEqual(3);
    expect(await m.scanMembers(P, 10, 3, null, 10)).toBeNull();
    expect(await m.currentVersion(P, 10)).toBeNull();
    expect(await m.membership(P, [10], person(2))).toEqual([{ member: false, version: null }]);
  });

  it('answers several cohorts in order, with the live version of each', async () => {
    await m.writeVersion(P, 10, 3, ['1']);
    await m.switchTo(P, 10, 3);
    await m.writeVersion(P, 12, 1, ['2']);
    await m.switchTo(P, 12, 1);
    expect(await m.liveVersions(P, [12, 11, 10])).toEqual([1, null, 3]);
    expect(await m.membership(P, [10, 11, 12], { personId: 1, distinctIds: ['x'] })).toEqual([
      { member: true, version: 3 },
      { member: false, version: null },
      { member: false, version: 1 },
    ]);
    expect(await m.membership(P, [], person(1))).toEqual([]);
  });
});
