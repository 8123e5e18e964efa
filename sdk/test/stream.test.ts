import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStorage } from '../src/index.js';
import { until } from './helpers/fixtures.js';
import { startService, type Service } from './helpers/server.js';

let s: Service;
beforeAll(async () => {
  s = await startService();
  await s.admin('POST', '/flags', { key: 'live', enabled: true, default_variant: 'off', off_variant: 'off', rules: [] });
});
afterAll(async () => {
  await s?.close();
});

describe('the SDK follows the decision stream', () => {
  it('a flag edit reaches the client without polling, and only the changed key is reported', async () => {
    let handshakes = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).endsWith('/v1/decide')) handshakes++;
      return fetch(input, init);
    };
    const c = createClient(s.token, { host: s.url, storage: memoryStorage(), fetch: counting, refreshIntervalMs: 1000, flushIntervalMs: 20 });
    await c.ready();
    expect(c.isEnabled('live', true)).toBe(false);
    const changes: string[][] = [];
    c.onChange((keys) => changes.push(keys));
    await until(() => c.stats().status === 'ready');
    await new Promise((r) => setTimeout(r, 300)); // the stream is connected
    const before = handshakes;
    await s.admin('PUT', '/flags/live', { version: 1, enabled: true, default_variant: 'on', off_variant: 'off', rules: [] });
    await until(() => c.isEnabled('live', false) === true, 5_000);
    expect(changes.flat()).toEqual(['live']);
    // while the stream is up, the 1 s timer does not poll
    await new Promise((r) => setTimeout(r, 1_500));
    expect(handshakes - before).toBe(0);
    await c.close();
  });

  it('falls back to polling when the server has no stream', async () => {
    let decides = 0;
    const noStream: typeof fetch = (input, init) => {
      if (String(input).includes('/v1/stream')) return Promise.resolve(new Response('not found', { status: 404 }));
      if (String(input).endsWith('/v1/decide')) decides++;
      return fetch(input, init);
    };
    const c = createClient(s.token, { host: s.url, storage: memoryStorage(), fetch: noStream, refreshIntervalMs: 1000, flushIntervalMs: 20 });
    await c.ready();
    await until(() => decides >= 3, 5_000);
    await c.close();
  });
});
