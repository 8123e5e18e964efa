/**
 * Read-your-writes in the SDK (issue 19): after its own writes (capture, people.set, identify's
 * alias, all through the delivery queue) the client keeps the latest consistency token it
 * received and sends it as `min_token` on the next handshake, so that handshake shows the
 * write: the property and the enterprise cohort membership it causes. Against the real service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStorage } from '../src/node.js';
import { startService, type Service } from './helpers/server.js';

let s: Service;
beforeAll(async () => {
  s = await startService({ EVENT_DRIVEN_FLUSH_MS: '5', DEFINITIONS_POLL_MS: '50' }, { tier: 'enterprise' });
  await s.admin('POST', '/cohorts', { key: 'pros', name: 'pros', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'in', value: ['pro'] } });
  await s.admin('POST', '/cohorts/pros/refresh');
  await s.admin('POST', '/flags', { key: 'pro-cohort', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'pros', cohorts: { any: ['pros'] }, serve: { variant: 'on' } }] });
  await new Promise((r) => setTimeout(r, 300)); // the snapshot follows the cohort's activation
});
afterAll(async () => {
  await s?.close();
});

/** fetch that records the JSON bodies sent to each path, and the answers' consistency tokens. */
function recording() {
  const sent: Array<{ path: string; body: Record<string, unknown> }> = [];
  const tokens: string[] = [];
  const f: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    sent.push({ path: url.pathname, body: init?.body ? JSON.parse(String(init.body)) : {} });
    const res = await fetch(input, init);
    const copy = res.clone();
    const text = await copy.text();
    try {
      const t = JSON.parse(text).consistency_token;
      if (typeof t === 'string') tokens.push(t);
    } catch {
      // not JSON (a 304)
    }
    return res;
  };
  return { f, sent, tokens, decides: () => sent.filter((x) => x.path === '/v1/decide') };
}

describe('the SDK forwards its latest write token on the next handshake', () => {
  it('people.set then refresh sees the cohort the new property puts the person in, 20 of 20', async () => {
    const rec = recording();
    const c = createClient(s.token, { host: s.url, fetch: rec.f, storage: memoryStorage(), stream: false, refreshIntervalMs: 0, flushIntervalMs: 0, distinctId: 'sdk-ryw' });
    await c.ready();
    let seen = 0;
    for (let i = 0; i < 20; i++) {
      const plan = i % 2 === 0 ? 'pro' : 'free';
      c.people.set({ plan });
      expect(await c.flush()).toBe(true);
      await c.refresh();
      const last = rec.decides().at(-1)!;
      expect(last.body.min_token).toBe(rec.tokens.at(-1));
      if (c.isEnabled('pro-cohort', false) === (plan === 'pro')) seen++;
    }
    expect(seen).toBe(20);
    // Caught up: the next handshake carries no token until the client writes again.
    await c.refresh();
    expect(rec.decides().at(-1)!.body.min_token).toBeUndefined();
    c.track('clicked');
    await c.flush();
    await c.refresh();
    expect(rec.decides().at(-1)!.body.min_token).toBe(rec.tokens.at(-1));
    await c.close();
  });

  it('identify sends the alias first, then a handshake carrying the alias\'s token', async () => {
    const rec = recording();
    const c = createClient(s.token, { host: s.url, fetch: rec.f, storage: memoryStorage(), stream: false, refreshIntervalMs: 0 });
    await c.ready();
    await c.identify('sdk-ryw-user');
    const alias = rec.sent.findIndex((x) => x.path === '/v1/alias');
    expect(alias).toBeGreaterThanOrEqual(0);
    const after = rec.sent.slice(alias + 1).find((x) => x.path === '/v1/decide');
    expect(after?.body.min_token).toBe(rec.tokens.at(-1));
    await c.close();
  });

  it('a server that refuses the token (400) is asked again without it: the SDK never gets stuck', async () => {
    const rec = recording();
    const c = createClient(s.token, { host: s.url, fetch: rec.f, storage: memoryStorage(), stream: false, refreshIntervalMs: 0, distinctId: 'sdk-ryw-2' });
    await c.ready();
    // A token of another project: the server answers 400.
    const other = await s.newToken();
    const res = await fetch(`${s.url}/v1/engage`, { method: 'POST', headers: { Authorization: `Bearer ${other.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ distinct_id: 'x', $set: { a: 1 } }) });
    const foreign = (await res.json()).consistency_token as string;
    const hijack: typeof fetch = async (input, init) => {
      const r = await rec.f(input, init);
      if (String(input).endsWith('/v1/engage')) return new Response(JSON.stringify({ applied: 1, rejected: 0, errors: [], consistency_token: foreign }), { status: 200, headers: { 'Content-Type': 'application/json' } });
      return r;
    };
    const d = createClient(s.token, { host: s.url, fetch: hijack, storage: memoryStorage(), stream: false, refreshIntervalMs: 0, flushIntervalMs: 0, distinctId: 'sdk-ryw-3' });
    await d.ready();
    d.people.set({ plan: 'pro' });
    await d.flush();
    await d.refresh();
    const tries = rec.decides().slice(-2);
    expect(tries[0].body.min_token).toBe(foreign);
    expect(tries[1].body.min_token).toBeUndefined();
    expect(d.status()).toBe('ready');
    await d.close();
    await c.close();
  });
});
