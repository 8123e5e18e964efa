/** The ExposureMarks and DefinitionsNotifier contracts, against Redis and the in-process adapters. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAMILIES, type Adapters } from './families.js';

const mark = (personKey: string, variant = 'on', day = '2026-12-01') => ({ projectId: 1, day, personKey, flag: 'f', variant });

describe.each(FAMILIES)('ExposureMarks and DefinitionsNotifier contract: $name', (family) => {
  let a: Adapters;
  beforeEach(async () => {
    a = await family.make();
  });
  afterEach(async () => a.cleanup());

  it('marks each exposure once per person, flag, variant and day, in order', async () => {
    expect(await a.marks.markFirst([mark('u1'), mark('u2'), mark('u1')])).toEqual([true, true, false]);
    expect(await a.marks.markFirst([mark('u1'), mark('u1', 'off'), mark('u1', 'on', '2026-12-02')])).toEqual([false, true, true]);
    expect(await a.marks.markFirst([])).toEqual([]);
  });

  it('delivers a notice to every subscriber, and to one that stays after another unsubscribes', async () => {
    const heard: number[][] = [[], []];
    const offs = [await a.notifier.subscribe((id) => heard[0].push(id)), await a.notifier.subscribe((id) => heard[1].push(id))];
    await a.notifier.notify(42);
    await expect.poll(() => heard[1], { timeout: 5_000 }).toEqual([42]);
    await expect.poll(() => heard[0], { timeout: 5_000 }).toEqual([42]);
    await offs[0]();
    await a.notifier.notify(43);
    await expect.poll(() => heard[1], { timeout: 5_000 }).toEqual([42, 43]);
    // Not asserted: whether the unsubscribed one still hears a notice already in flight (a
    // Redis subscriber connection may read it while closing; callers reload at most once more).
    expect(heard[0][0]).toBe(42);
    await offs[1]();
  });
});
