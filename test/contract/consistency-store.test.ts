/**
 * The read-your-writes sequence (ports/consistency-store.ts), the same cases against the Redis
 * adapter (its Lua) and the in-process one, so the script and the reference state machine
 * (domain/consistency-watermark.ts) cannot drift: out-of-order completion, the poll's advance,
 * abandoned slots, stale completions, a lost sequence (new epoch), announcements.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryConsistencyStore } from '../../src/adapters/memory/consistency-store.js';
import { createRedis, waitForRedis } from '../../src/adapters/redis/client.js';
import { createRedisConsistencyStore } from '../../src/adapters/redis/consistency-store.js';
import { createKeys } from '../../src/adapters/redis/keys.js';
import type { Watermark } from '../../src/domain/consistency-token.js';
import type { ConsistencyStore } from '../../src/ports/consistency-store.js';
import { testRedisUrl } from '../helpers/databases.js';

const ABANDON_MS = 300;
const redis = createRedis({ url: testRedisUrl(), commandTimeoutMs: 5_000 });
const keys = createKeys(`cs${randomBytes(5).toString('hex')}:`);
afterAll(async () => {
  const found = await redis.keys(keys.allPattern());
  if (found.length) await redis.del(...found);
  redis.disconnect();
});

const families: Array<{ name: string; make: () => Promise<{ store: ConsistencyStore; lose: (projectId: number) => Promise<void> }> }> = [
  {
    name: 'redis',
    async make() {
      await waitForRedis(redis, 5_000);
      const store = createRedisConsistencyStore({ redis, url: testRedisUrl(), keys, abandonMs: ABANDON_MS });
      return { store, lose: async (p) => void (await redis.del(keys.consistency(p), keys.consistencyPending(p), keys.consistencyDone(p))) };
    },
  },
  {
    name: 'memory',
    async make() {
      const store = createMemoryConsistencyStore({ abandonMs: ABANDON_MS });
      return { store, lose: async () => store.lose() };
    },
  },
];

let nextProject = 1;

describe.each(families)('consistency store: $name', (family) => {
  it('advances the watermark only over slots with every lower slot applied', async () => {
    const { store } = await family.make();
    const p = nextProject++;
    expect(await store.reached(p)).toBeNull();
    const slots = [];
    for (let i = 0; i < 5; i++) slots.push(await store.issue(p));
    expect(slots.map((s) => s.seq)).toEqual([1, 2, 3, 4, 5]);
    const epoch = slots[0].epoch;
    expect(epoch).toMatch(/^[0-9a-f]{8}$/);
    expect(await store.complete(p, epoch, 4)).toEqual({ epoch, applied: 0, issued: 5 });
    expect(await store.complete(p, epoch, 2)).toEqual({ epoch, applied: 0, issued: 5 });
    expect(await store.complete(p, epoch, 1)).toEqual({ epoch, applied: 2, issued: 5 });
    expect(await store.complete(p, epoch, 3)).toEqual({ epoch, applied: 4, issued: 5 });
    expect(await store.complete(p, epoch, 3)).toEqual({ epoch, applied: 4, issued: 5 }); // twice: no-op
    expect(await store.reached(p)).toEqual({ epoch, applied: 4, issued: 5 });
    expect(await store.complete(p, 'deadbeef', 5)).toEqual({ epoch, applied: 4, issued: 5 }); // another epoch: ignored
    expect(await store.complete(p, epoch, 5)).toEqual({ epoch, applied: 5, issued: 5 });
  });

  it('releases a slot pending for abandonMs on the poll (seq 0), and ignores its late completion', async () => {
    const { store } = await family.make();
    const p = nextProject++;
    const dead = await store.issue(p);
    const alive = await store.issue(p);
    await store.complete(p, alive.epoch, alive.seq);
    expect((await store.complete(p, '', 0))!.applied).toBe(0);
    await new Promise((r) => setTimeout(r, ABANDON_MS + 50));
    expect(await store.complete(p, '', 0)).toEqual({ epoch: dead.epoch, applied: 2, issued: 2 });
    expect(await store.complete(p, dead.epoch, dead.seq)).toEqual({ epoch: dead.epoch, applied: 2, issued: 2 });
  });

  it('starts a new epoch when the sequence is lost', async () => {
    const { store, lose } = await family.make();
    const p = nextProject++;
    const before = await store.issue(p);
    await lose(p);
    expect(await store.complete(p, before.epoch, before.seq)).toBeNull();
    const after = await store.issue(p);
    expect(after.seq).toBe(1);
    expect(after.epoch).not.toBe(before.epoch);
  });

  it('announces each move of the watermark to subscribers', async () => {
    const { store } = await family.make();
    const p = nextProject++;
    const heard: Array<[number, Watermark]> = [];
    const unsubscribe = await store.subscribe((projectId, m) => projectId === p && heard.push([projectId, m]));
    const a = await store.issue(p);
    const b = await store.issue(p);
    await store.complete(p, b.epoch, b.seq); // does not move it
    await store.complete(p, a.epoch, a.seq);
    for (let i = 0; i < 100 && heard.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(heard).toEqual([[p, { epoch: a.epoch, applied: 2, issued: 2 }]]);
    await unsubscribe();
  });
});
