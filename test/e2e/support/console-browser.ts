/**
 * End-to-end support for the console: the real service (createTestContext) listening on an
 * ephemeral loopback port, the console bundle built when missing or stale, and Debian's
 * Chromium driven headless by playwright-core with a fresh profile. Screenshots go to
 * test/e2e/artifacts/ (ignored by git).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ensureConsoleBuilt } from '../../../console/build.js';
import { createTestContext, type TestContext } from '../../helpers/context.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const ARTIFACTS = path.resolve('test/e2e/artifacts');

export interface ConsoleWorld {
  t: TestContext;
  /** http://127.0.0.1:<port> */
  base: string;
  browser: BrowserContext;
  page: Page;
  /** opens a console path (`/projects/1/cohorts`) and waits for the app to render */
  open(consolePath: string): Promise<void>;
  /** signs in through the sign-in form with the test admin key */
  signIn(): Promise<void>;
  /** full-page screenshot into test/e2e/artifacts/<name>.png */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startConsole(opts: { viewport?: { width: number; height: number } } = {}): Promise<ConsoleWorld> {
  await ensureConsoleBuilt('stale');
  const t = await createTestContext();
  const server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profile = mkdtempSync(path.join(tmpdir(), 'sb-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    timeout: 60_000,
  });
  browser.setDefaultTimeout(20_000);
  const page = browser.pages()[0] ?? (await browser.newPage());
  mkdirSync(ARTIFACTS, { recursive: true });

  const world: ConsoleWorld = {
    t,
    base,
    browser,
    page,
    async open(consolePath) {
      await page.goto(`${base}/console${consolePath}`);
      await page.locator('#app > *').first().waitFor();
    },
    async signIn() {
      await world.open('/');
      await page.getByLabel('Admin key').fill(t.adminKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Projects' }).waitFor();
    },
    async shot(name) {
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await t.cleanup();
    },
  };
  return world;
}

/** Events for a project through the public API (stored now unless `time` is given). */
export async function sendEvents(t: TestContext, token: string, events: Array<{ event: string; distinct_id: string; properties?: Record<string, unknown>; time?: number }>): Promise<void> {
  const res = await t.http.post('/v1/events').set('Authorization', `Bearer ${token}`).send({ events: events.map((e, i) => ({ $insert_id: `${e.distinct_id}-${e.event}-${i}-${Math.random()}`, ...e })) });
  if (res.status !== 200 || res.body.rejected) throw new Error(`events: ${res.status} ${JSON.stringify(res.body)}`);
}

/** `$set` person properties through the People API. */
export async function setPerson(t: TestContext, token: string, distinctId: string, properties: Record<string, unknown>): Promise<void> {
  const res = await t.http.post('/v1/engage').set('Authorization', `Bearer ${token}`).send({ distinct_id: distinctId, $set: properties });
  if (res.status !== 200 || res.body.rejected) throw new Error(`engage: ${res.status} ${JSON.stringify(res.body)}`);
}
