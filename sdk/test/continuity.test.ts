import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStorage } from '../src/index.js';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';
import { defineFixtures } from './helpers/fixtures.js';
import { startService, type Service } from './helpers/server.js';

let s: Service;
let proxy: FaultProxy;

beforeAll(async () => {
  s = await startService();
  await defineFixtures(s);
  proxy = await startFaultProxy(s.url);
});
afterAll(async () => {
  await proxy?.close();
  await s?.close();
});

const options = (storage = memoryStorage()) => ({ stream: false, host: proxy.url, storage, timeoutMs: 10_000, refreshIntervalMs: 0, flushIntervalMs: 20 });

async function pool<T>(n: number, width: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await job(i);
    }
  }));
  return out;
}

describe('identity continuity (PRODUCT.md 5)', () => {
  it('keeps every variant across login for 500 users; alias sent once; anon_id forwarded', async () => {
    const results = await pool(500, 16, async (i) => {
      const storage = memoryStorage();
      const c = createClient(s.token, options(storage));
      await c.ready();
      const anon = c.anonymousId();
      const before = c.getVariant('checkout');
      await c.identify(`user-${i}@example.com`);
      const after = c.getVariant('checkout');
      await c.identify(`user-${i}@example.com`); // a second identify: no second alias
      await c.close();
      if (i % 5 !== 0) return { anon, before, after, reloaded: after, ids: [`user-${i}@example.com`, anon], i };
      // a reload (every 5th user): same storage, still identified, no alias again
      const again = createClient(s.token, options(storage));
      await again.ready();
      const reloaded = again.getVariant('checkout');
      const ids = [again.distinctId(), again.anonymousId()];
      await again.close();
      return { anon, before, after, reloaded, ids, i };
    });
    const moved = results.filter((r) => r.before !== r.after || r.after !== r.reloaded);
    expect(moved).toEqual([]);
    expect(new Set(results.map((r) => r.before)).size).toBe(3);
    expect(results.every((r) => r.ids[0] === `user-${r.i}@example.com` && r.ids[1] === r.anon)).toBe(true);

    const aliases = proxy.seen.filter((x) => x.path === '/v1/alias').map((x) => JSON.parse(x.body));
    expect(aliases).toHaveLength(500);
    expect(aliases[0]).toEqual({ distinct_id: expect.stringMatching(/^user-/), alias: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const decides = proxy.seen.filter((x) => x.path === '/v1/decide').map((x) => JSON.parse(x.body));
    const afterLogin = decides.filter((b) => b.distinct_id.startsWith('user-'));
    expect(afterLogin.length).toBeGreaterThanOrEqual(600);
    expect(afterLogin.every((b) => /^[0-9a-f-]{36}$/.test(b.anon_id))).toBe(true);
  }, 120_000);

  it('reset() on logout makes a new anonymous id and decides for it', async () => {
    const c = createClient(s.token, options());
    await c.ready();
    const first = c.anonymousId();
    await c.identify('logout-user');
    await c.reset();
    expect(c.anonymousId()).not.toBe(first);
    expect(c.distinctId()).toBe(c.anonymousId());
    expect(c.getDecision('checkout').reason).toBe('SPLIT');
    await c.close();
  });

  it('refuses a placeholder id without throwing', async () => {
    const c = createClient(s.token, options());
    await c.ready();
    await c.identify('undefined');
    expect(c.distinctId()).toBe(c.anonymousId());
    expect(c.stats().lastError).toMatchObject({ where: 'identify', message: expect.stringContaining('placeholder') });
    await c.close();
  });
});
