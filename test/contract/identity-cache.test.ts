/** The IdentityCache contract (ports/identity-cache.ts), against Redis and the in-process adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdentityCache } from '../../src/ports/identity-cache.js';
import { doc } from './docs.js';
import { FAMILIES, type Adapters } from './families.js';

const P = 1;

describe.each(FAMILIES)('IdentityCache contract: $name', (family) => {
  let a: Adapters;
  let c: IdentityCache;
  beforeEach(async () => {
    a = await family.make();
    c = a.identity;
  });
  afterEach(async () => a.cleanup());

  it('misses on an empty map, which is not complete', async () => {
    expect(await c.lookup(P, 'u1')).toEqual({ ready: false, person: null, usedAnon: false });
  });

  it('maps distinct ids to the person document, decoded, and says when the map is complete', async () => {
    await c.write(P, { docs: [doc(7, 100, { country: 'DE', n: 3 }, { identified: true, surveyHistory: { answered: ['s1'], lastShownAt: 5 } })], newIds: [['u1', 7]] });
    const hit = await c.lookup(P, 'u1');
    expect(hit).toEqual({
      ready: false,
      usedAnon: false,
      person: { id: 7, bucketingKey: 'bk-7', properties: { country: 'DE', n: 3 }, identified: true, surveyHistory: { answered: ['s1'], lastShownAt: 5 } },
    });
    await c.write(P, { ready: true });
    expect((await c.lookup(P, 'u1')).ready).toBe(true);
    expect(await c.lookup(P, 'nobody')).toEqual({ ready: true, person: null, usedAnon: false });
    await c.clearReady(P);
    expect((await c.lookup(P, 'u1')).ready).toBe(false);
    expect((await c.lookup(2, 'u1')).person).toBeNull();
  });

  it('falls back to the anon_id only when the distinct_id is unknown', async () => {
    await c.write(P, { docs: [doc(1, 1), doc(2, 1)], newIds: [['anon', 1], ['user', 2]] });
    expect(await c.lookup(P, 'new', 'anon')).toMatchObject({ person: { id: 1 }, usedAnon: true });
    expect(await c.lookup(P, 'user', 'anon')).toMatchObject({ person: { id: 2 }, usedAnon: false });
    expect(await c.lookup(P, 'anon', 'anon')).toMatchObject({ person: { id: 1 }, usedAnon: false });
    expect(await c.lookup(P, 'new', null)).toMatchObject({ person: null, usedAnon: false });
  });

  it('sets new ids only when absent, moved ids always, and removes ids and persons', async () => {
    await c.write(P, { docs: [doc(1, 1), doc(2, 1)], newIds: [['a', 1]] });
    await c.write(P, { newIds: [['a', 2]] });
    expect((await c.lookup(P, 'a')).person?.id).toBe(1);
    await c.write(P, { setIds: [['a', 2]] });
    expect((await c.lookup(P, 'a')).person?.id).toBe(2);
    await c.write(P, { removedIds: ['a'] });
    expect((await c.lookup(P, 'a')).person).toBeNull();
    await c.write(P, { setIds: [['b', 1]], removedPersons: [1] });
    // The id still maps, but the document is gone: no person.
    expect((await c.lookup(P, 'b')).person).toBeNull();
  });

  it('never lets an older document replace a newer one', async () => {
    await c.write(P, { docs: [doc(1, 200, { v: 'new' })], newIds: [['a', 1]] });
    await c.write(P, { docs: [doc(1, 100, { v: 'old' })] });
    expect((await c.lookup(P, 'a')).person?.properties).toEqual({ v: 'new' });
    await c.write(P, { docs: [doc(1, 300, { v: 'newer' })] });
    expect((await c.lookup(P, 'a')).person?.properties).toEqual({ v: 'newer' });
  });

  it('hands out copies: changing a returned person changes nothing stored', async () => {
    await c.write(P, { docs: [doc(1, 1, { tags: ['x'] })], newIds: [['a', 1]] });
    const first = await c.lookup(P, 'a');
    (first.person!.properties.tags as string[]).push('y');
    expect((await c.lookup(P, 'a')).person?.properties).toEqual({ tags: ['x'] });
  });
});
