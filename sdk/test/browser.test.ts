/**
 * The SDK in a real browser: Debian's Chromium, headless, driven by playwright-core, on a
 * page served locally that loads the built bundle (sdk/dist/switchboard.min.js, built here).
 * The page and the API share one origin through the test's proxy (the server sends no CORS
 * headers), which also makes the server unreachable on demand. Screenshots go to
 * sdk/test/artifacts/ (ignored by git).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';
import { defineFixtures, until } from './helpers/fixtures.js';
import { startService, type Service } from './helpers/server.js';

const SDK = path.resolve(import.meta.dirname, '..');
const ARTIFACTS = path.join(SDK, 'test/artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Switchboard SDK test page</title>
<style>body{font:14px system-ui;margin:2em} pre{background:#f4f4f4;padding:1em} .survey{border:2px solid #36c;padding:1em;margin:1em 0}</style></head>
<body><h1>Switchboard SDK</h1><div id="surveys"></div><pre id="out">loading…</pre>
<script type="module">
import { createClient } from '/sdk.js';
window.surveys = [];
window.start = async (token) => {
  const c = createClient(token, {
    timeoutMs: 5000, flushIntervalMs: 50, retryBaseMs: 100,
    onSurvey: (s) => {
      window.surveys.push(s.key);
      const el = document.createElement('div');
      el.className = 'survey';
      el.textContent = 'Survey: ' + s.name + ' (' + s.key + ')';
      document.getElementById('surveys').append(el);
    },
  });
  window.client = c;
  await c.ready();
  window.render();
  return { anon: c.anonymousId(), id: c.distinctId(), variant: c.getVariant('checkout'), status: c.status() };
};
window.render = () => {
  const c = window.client;
  document.getElementById('out').textContent = JSON.stringify({ distinct_id: c.distinctId(), anonymous_id: c.anonymousId(), checkout: c.getDecision('checkout'), stats: c.stats() }, null, 2);
};
document.title = 'ready';
</script></body></html>`;

let s: Service;
let proxy: FaultProxy;
let context: BrowserContext;
let page: Page;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (the browser test uses Debian's Chromium, never a downloaded build)`);
  execFileSync(process.execPath, [path.join(SDK, 'scripts/build.mjs')], { stdio: 'inherit' });
  const bundle = readFileSync(path.join(SDK, 'dist/switchboard.min.js'));
  s = await startService();
  await defineFixtures(s, { surveys: true });
  const html = { type: 'text/html; charset=utf-8', body: PAGE };
  proxy = await startFaultProxy(s.url, { '/': html, '/welcome': html, '/sdk.js': { type: 'text/javascript', body: bundle } });
  mkdirSync(ARTIFACTS, { recursive: true });
  profile = mkdtempSync(path.join(os.tmpdir(), 'sb-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  page = context.pages()[0] ?? (await context.newPage());
}, 120_000);
afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await proxy?.close();
  await s?.close();
});

const open = async (p = '/') => {
  await page.goto(proxy.url + p);
  await page.waitForFunction(() => document.title === 'ready');
  return page.evaluate((token) => (window as unknown as { start(t: string): Promise<{ anon: string; id: string; variant: string; status: string }> }).start(token), s.token);
};
const shot = (name: string) => page.evaluate(() => (window as unknown as { render(): void }).render()).then(() => page.screenshot({ path: path.join(ARTIFACTS, `browser-${name}.png`), fullPage: true }));
const inPage = <T>(fn: () => T | Promise<T>) => page.evaluate(fn);

describe('the SDK in Chromium', () => {
  it('keeps the anonymous id across a reload, and the variants across identify', async () => {
    const first = await open();
    expect(first.status).toBe('ready');
    expect(first.anon).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(['a', 'b', 'c']).toContain(first.variant);
    await shot('anonymous');
    const reloaded = await open();
    expect(reloaded).toMatchObject({ anon: first.anon, id: first.anon, variant: first.variant });

    await inPage(() => (window as unknown as { client: { identify(id: string): Promise<void> } }).client.identify('browser-user@example.com'));
    const after = await inPage(() => {
      const c = (window as unknown as { client: { getVariant(k: string): string; distinctId(): string } }).client;
      return { id: c.distinctId(), variant: c.getVariant('checkout') };
    });
    expect(after).toEqual({ id: 'browser-user@example.com', variant: first.variant });
    await shot('identified');
    const person = (await s.admin('GET', '/persons/browser-user@example.com')) as { distinct_ids: string[] };
    expect(person.distinct_ids.sort()).toEqual([first.anon, 'browser-user@example.com'].sort());
    const reopened = await open();
    expect(reopened).toMatchObject({ id: 'browser-user@example.com', anon: first.anon, variant: first.variant });
    expect(proxy.seen.filter((x) => x.path === '/v1/alias')).toHaveLength(1);
  });

  it('delivers events queued while the server is unreachable once, after a reload', async () => {
    await open();
    proxy.setMode('drop');
    await inPage(() => {
      const c = (window as unknown as { client: { track(e: string, p: object): void } }).client;
      for (let i = 0; i < 5; i++) c.track('offline click', { n: i });
    });
    await until(() => inPage(() => (window as unknown as { client: { stats(): { retries: number } } }).client.stats().retries > 0));
    expect(await inPage(() => (window as unknown as { client: { stats(): { queued: number } } }).client.stats().queued)).toBe(5);
    await shot('offline-queued');
    // the answers get lost on the way back (the server stores, the page never hears), then it reloads
    proxy.setMode('lose');
    await inPage(() => (window as unknown as { client: { flush(): Promise<boolean> } }).client.flush());
    proxy.setMode('pass');
    await open();
    await until(() => inPage(() => (window as unknown as { client: { stats(): { queued: number } } }).client.stats().queued === 0));
    const got = (await s.events({ event: 'offline click' })).map((e) => Number(e.properties.n)).sort();
    expect(got).toEqual([0, 1, 2, 3, 4]);
    const resent = proxy.seen.filter((x) => x.path === '/v1/events' && x.body.includes('offline click') && (x.mode === 'lose' || x.mode === 'pass'));
    expect(resent.length).toBeGreaterThanOrEqual(2); // sent, answer lost, sent again: stored once
    await shot('delivered');
  });

  it('fires onSurvey on a trigger event and on a matching page view', async () => {
    await open();
    await inPage(() => (window as unknown as { client: { track(e: string): void } }).client.track('purchase'));
    await page.waitForFunction(() => (window as unknown as { surveys: string[] }).surveys.includes('nps'));
    await shot('survey-event');
    await open('/welcome');
    await page.waitForFunction(() => (window as unknown as { surveys: string[] }).surveys.includes('welcome'));
    await shot('survey-page');
    expect(await page.locator('.survey').first().textContent()).toContain('Welcome');
  });
});
