import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStorage } from '../src/index.js';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';
import { defineFixtures, until } from './helpers/fixtures.js';
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

const options = { timeoutMs: 5_000, refreshIntervalMs: 0, flushIntervalMs: 20 };

describe('decisions', () => {
  it('serves flags, variants, payloads and configs from one handshake', async () => {
    const c = createClient(s.token, { ...options, host: s.url, personProperties: { plan: 'pro' } });
    expect(c.status()).toBe('loading');
    expect(c.getDecision('beta')).toMatchObject({ reason: 'ERROR', error_code: 'PROVIDER_NOT_READY' });
    await c.ready();
    expect(c.isEnabled('beta', false)).toBe(true);
    expect(c.isEnabled('everyone', false)).toBe(true);
    expect(c.getDecision('beta')).toMatchObject({ key: 'beta', value: true, variant: 'on', reason: 'TARGETING_MATCH', rule_id: 'pro', freshness: [] });
    expect(['a', 'b', 'c']).toContain(c.getVariant('checkout'));
    expect(c.getPayload('checkout', null)).toEqual(c.getVariant('checkout') === 'b' ? { color: 'blue' } : null);
    expect(c.getConfig('limits', { max_items: 0 })).toEqual({ max_items: 10 });
    // the caller's default, with a reason, for what is missing or mistyped
    expect(c.isEnabled('nope', true)).toBe(true);
    expect(c.getDecision('nope')).toMatchObject({ reason: 'ERROR', error_code: 'FLAG_NOT_FOUND', value: null });
    expect(c.isEnabled('checkout', false)).toBe(false);
    expect(c.getConfig('limits', 5)).toBe(5);
    expect(c.stats().lastError?.message).toContain('TYPE_MISMATCH');
    await c.close();
  });

  it('refreshes with If-None-Match: an unchanged answer is a 304 that keeps the decisions', async () => {
    const c = createClient(s.token, { ...options, host: proxy.url });
    await c.ready();
    const before = proxy.seen.length;
    await c.refresh();
    await c.refresh();
    const refreshes = proxy.seen.slice(before).filter((x) => x.path === '/v1/decide');
    expect(refreshes.map((x) => x.status)).toEqual([304, 304]);
    expect(c.getDecision('everyone')).toMatchObject({ value: true, reason: 'STATIC' });
    expect(c.status()).toBe('ready');

    // a change on the server: 200, the new value, onChange with the key
    const changed: string[][] = [];
    c.onChange((keys) => changed.push(keys));
    await s.admin('PUT', '/flags/everyone', { key: 'everyone', enabled: false, default_variant: 'on', off_variant: 'off', version: 1 });
    await until(async () => {
      await c.refresh();
      return c.isEnabled('everyone', true) === false;
    });
    expect(changed).toContainEqual(['everyone']);
    expect(c.getDecision('everyone').reason).toBe('DISABLED');
    await s.admin('PUT', '/flags/everyone', { key: 'everyone', enabled: true, default_variant: 'on', off_variant: 'off', version: 2 });
    await until(async () => {
      await c.refresh();
      return c.isEnabled('everyone', false);
    });
    await c.close();
  });

  it('bootstraps from server-rendered values: ready at once, then the real handshake', async () => {
    const rendered = await (await fetch(`${s.url}/v1/decide`, { method: 'POST', headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ distinct_id: 'ssr-user' }) })).json();
    const c = createClient(s.token, { ...options, host: 'http://127.0.0.1:1', bootstrap: { ...rendered, distinct_id: 'ssr-user' } });
    await c.ready();
    expect(c.status()).toBe('ready');
    expect(c.distinctId()).toBe('ssr-user');
    expect(c.getVariant('checkout')).toBe(rendered.flags.checkout.variant);
    expect(c.getDecision('checkout').reason).toBe('SPLIT');
    await c.close();

    const plain = createClient(s.token, { ...options, host: s.url, bootstrap: { flags: { beta: true }, configs: { limits: { max_items: 3 } } } });
    expect(plain.isEnabled('beta', false)).toBe(true);
    expect(plain.getDecision('beta').reason).toBe('CACHED');
    expect(plain.getConfig('limits', {})).toEqual({ max_items: 3 });
    await until(() => plain.stats().lastHandshakeAt !== null);
    expect(plain.isEnabled('beta', true)).toBe(false); // the handshake replaced the bootstrap
    await plain.close();
  });

  it('starts offline from the persisted decisions, reason STALE, and recovers', async () => {
    const storage = memoryStorage();
    const online = createClient(s.token, { ...options, host: proxy.url, storage });
    await online.ready();
    const variant = online.getVariant('checkout');
    await online.close();

    proxy.setMode('drop');
    const offline = createClient(s.token, { ...options, host: proxy.url, storage, timeoutMs: 500 });
    const statuses: string[] = [];
    offline.onStatus((x) => statuses.push(x));
    expect(offline.status()).toBe('stale');
    await offline.ready();
    expect(offline.getVariant('checkout')).toBe(variant);
    expect(offline.getDecision('checkout')).toMatchObject({ variant, reason: 'STALE' });
    expect(offline.isEnabled('everyone', false)).toBe(true);
    expect(offline.stats().lastError?.where).toBe('handshake');

    proxy.setMode('pass');
    await offline.refresh();
    expect(offline.status()).toBe('ready');
    expect(offline.getDecision('checkout').reason).toBe('SPLIT');
    expect(statuses).toContain('ready');
    expect(proxy.seen.at(-1)).toMatchObject({ path: '/v1/decide', status: 304 });
    await offline.close();
  });

  it('never blocks ready() past timeoutMs on a hung server', async () => {
    proxy.setMode('hang');
    const c = createClient(s.token, { ...options, host: proxy.url, timeoutMs: 300 });
    const t0 = Date.now();
    await c.ready();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(c.isEnabled('everyone', false)).toBe(false);
    expect(c.getDecision('everyone')).toMatchObject({ reason: 'ERROR', error_code: 'PROVIDER_NOT_READY' });
    proxy.setMode('pass');
    await c.close();
  });
});
