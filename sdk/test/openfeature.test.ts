import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenFeature as Server } from '@openfeature/server-sdk';
import { OpenFeature as Web, ProviderEvents } from '@openfeature/web-sdk';
import { memoryStorage } from '../src/index.js';
import { SwitchboardServerProvider } from '../src/openfeature/server.js';
import { SwitchboardWebProvider } from '../src/openfeature/web.js';
import { defineFixtures, until } from './helpers/fixtures.js';
import { startService, type Service } from './helpers/server.js';

let s: Service;

beforeAll(async () => {
  s = await startService();
  await defineFixtures(s);
});
afterAll(async () => {
  await Web.close();
  await Server.close();
  await s?.close();
});

const options = () => ({ host: s.url, storage: memoryStorage(), timeoutMs: 5_000, refreshIntervalMs: 0, flushIntervalMs: 20 });
const USERS = 30;

describe('OpenFeature web provider', () => {
  it('keeps variants across a targetingKey change (identify) and tracks through client.track', async () => {
    const rows = [];
    for (let i = 0; i < USERS; i++) {
      const domain = `web-${i}`;
      const provider = new SwitchboardWebProvider(s.token, options());
      await Web.setProviderAndWait(domain, provider);
      const client = Web.getClient(domain);
      const before = client.getStringDetails('checkout', 'none');
      const anon = provider.client.anonymousId();
      await Web.setContext(domain, { targetingKey: `of-web-${i}` });
      const after = client.getStringDetails('checkout', 'none');
      client.track('purchase', { value: 12.5, sku: `sku-${i}` });
      await provider.client.flush();
      rows.push({ i, anon, before, after, id: provider.client.distinctId() });
    }
    for (const r of rows) {
      expect(r.before).toMatchObject({ reason: 'SPLIT', flagMetadata: { rule_id: 'abc', version: 1 } });
      expect(r.after.value).toBe(r.before.value);
      expect(r.id).toBe(`of-web-${r.i}`);
    }
    expect(new Set(rows.map((r) => r.before.value)).size).toBeGreaterThan(1);
    const person = (await s.admin('GET', `/persons/of-web-0`)) as { distinct_ids: string[] };
    expect(person.distinct_ids.sort()).toEqual([rows[0].anon, 'of-web-0'].sort());
    const purchases = await s.events({ event: 'purchase' });
    expect(purchases.filter((e) => e.distinct_id.startsWith('of-web-')).map((e) => [e.distinct_id, e.properties.value])).toHaveLength(USERS);
    expect(purchases[0].properties).toEqual({ value: 12.5, sku: 'sku-0' });
  }, 60_000);

  it('resolves types, errors and configs the OpenFeature way', async () => {
    const provider = new SwitchboardWebProvider(s.token, { ...options(), personProperties: { plan: 'pro' } });
    await Web.setProviderAndWait('types', provider);
    const client = Web.getClient('types');
    expect(client.getBooleanDetails('beta', false)).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    expect(client.getObjectValue('limits', {})).toEqual({ max_items: 10 });
    expect(client.getBooleanDetails('missing', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(client.getNumberDetails('checkout', 7)).toMatchObject({ value: 7, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
  });

  it('emits CONFIGURATION_CHANGED, STALE, ERROR and READY', async () => {
    const storage = memoryStorage();
    const provider = new SwitchboardWebProvider(s.token, { ...options(), storage });
    await Web.setProviderAndWait('events', provider);
    const changed: string[][] = [];
    Web.getClient('events').addHandler(ProviderEvents.ConfigurationChanged, (e) => changed.push(e?.flagsChanged ?? []));
    await s.admin('POST', '/flags', { key: 'late-flag', enabled: true, default_variant: 'on', off_variant: 'off' });
    await until(async () => {
      await provider.client.refresh();
      return changed.length > 0;
    });
    expect(changed[0]).toEqual(['late-flag']);

    // the same storage, the server unreachable: initialized from persisted decisions, then STALE
    const offline = new SwitchboardWebProvider(s.token, { ...options(), storage, host: 'http://127.0.0.1:1', timeoutMs: 200 });
    const stale = new Promise((r) => Web.getClient('offline').addHandler(ProviderEvents.Stale, r));
    await Web.setProviderAndWait('offline', offline);
    await stale;
    expect(Web.getClient('offline').getBooleanDetails('late-flag', false)).toMatchObject({ value: true, reason: 'STALE' });

    const errors: unknown[] = [];
    Web.getClient('broken').addHandler(ProviderEvents.Error, (e) => errors.push(e));
    await Web.setProviderAndWait('broken', new SwitchboardWebProvider(s.token, { ...options(), host: 'http://127.0.0.1:1', timeoutMs: 200 })).catch(() => {});
    await until(() => errors.length > 0);
    expect(Web.getClient('broken').getBooleanDetails('beta', true)).toMatchObject({ value: true, reason: 'ERROR' });
  });
});

describe('OpenFeature server provider', () => {
  it('keeps variants from an anonymous targetingKey to a login (anonymousId) and tracks', async () => {
    const provider = new SwitchboardServerProvider(s.token, options());
    await Server.setProviderAndWait(provider);
    const client = Server.getClient();
    let same = 0;
    const seen = new Set<string>();
    for (let i = 0; i < USERS; i++) {
      const anon = `device-${i}`;
      const before = await client.getStringValue('checkout', 'none', { targetingKey: anon });
      const after = await client.getStringDetails('checkout', 'none', { targetingKey: `of-srv-${i}`, anonymousId: anon });
      seen.add(before);
      if (after.value === before) same++;
      client.track('signup', { targetingKey: `of-srv-${i}`, anonymousId: anon }, { value: i });
    }
    expect(same).toBe(USERS);
    expect(seen.size).toBeGreaterThan(1);
    await provider.flush();
    const signups = await s.events({ event: 'signup' });
    expect(signups.map((e) => e.distinct_id)).toEqual(Array.from({ length: USERS }, (_, i) => `of-srv-${i}`));
    expect(signups[3].properties).toEqual({ value: 3 });
    const person = (await s.admin('GET', '/persons/of-srv-0')) as { distinct_ids: string[] };
    expect(person.distinct_ids.sort()).toEqual(['device-0', 'of-srv-0']);
    expect(await client.getBooleanDetails('beta', true, {})).toMatchObject({ value: true, errorCode: 'TARGETING_KEY_MISSING' });
  }, 60_000);
});
