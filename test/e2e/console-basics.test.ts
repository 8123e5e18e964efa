/**
 * The console in a real browser: sign in, projects (create, tier, token), admin keys
 * (secret shown once, revoke), deep links, the audit log, a read-only key, a narrow screen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsole, type ConsoleWorld } from './support/console-browser.js';

let w: ConsoleWorld;

beforeAll(async () => {
  w = await startConsole();
}, 120_000);

afterAll(async () => {
  await w?.close();
});

describe('console basics', () => {
  it('refuses a wrong key, then signs in with the admin key kept in sessionStorage only', async () => {
    const { page } = w;
    await w.open('/');
    await w.shot('01-sign-in');
    await page.getByLabel('Admin key').fill('sba_not_a_real_key_123456');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await w.signIn();
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('switchboard.admin-key'), local: localStorage.length, cookie: document.cookie, url: location.href }));
    expect(stored.session).toBe(w.t.adminKey);
    expect(stored.local).toBe(0);
    expect(stored.cookie).toBe('');
    expect(stored.url).not.toContain(w.t.adminKey);
  });

  it('creates a project, changes its tier and shows its token', async () => {
    const { page } = w;
    await page.getByLabel('Name').fill('Shop');
    await page.getByLabel('Tier').selectOption('growth');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'Shop' }).waitFor();
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    const project = await w.t.projects.requireProject({ keyId: 0, actor: 'test', projectIds: null }, id);
    expect(await page.getByTestId('project-token').textContent()).toBe(project.token);
    await page.getByLabel('Tier').selectOption('enterprise');
    await expect.poll(async () => (await w.t.projects.requireProject({ keyId: 0, actor: 'test', projectIds: null }, id)).tier).toBe('enterprise');
    await page.getByRole('button', { name: 'Copy token' }).waitFor();
  });

  it('creates an admin key whose secret is shown once, and revokes it', async () => {
    const { page } = w;
    await page.getByLabel('New key name').fill('ci');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-key-secret').textContent())!;
    expect(secret).toMatch(/^sba_/);
    await w.shot('03-project');
    expect((await w.t.http.get('/v1/me').set('Authorization', `Bearer ${secret}`)).status).toBe(200);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.getByTestId('new-key-secret').count()).toBe(0);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('row', { name: /ci/ }).getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(async () => (await w.t.http.get('/v1/me').set('Authorization', `Bearer ${secret}`)).status).toBe(401);
    await expect.poll(() => page.getByRole('row', { name: /ci/ }).textContent()).toContain('revoked');
  });

  it('opens deep links directly and lists the audit log with a diff', async () => {
    const { page } = w;
    const id = new URL(page.url()).pathname.split('/').pop();
    await w.open(`/projects/${id}/audit`);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await expect.poll(() => page.getByTestId('audit').locator('tbody tr').count()).toBeGreaterThan(2);
    await page.getByRole('row', { name: /update project/ }).getByRole('button', { name: 'Changes' }).click();
    await page.getByRole('cell', { name: 'tier' }).first().waitFor();
    await page.getByLabel('Who').fill('nobody:at:all');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByText('No entries.').count()).toBe(1);
    await page.getByLabel('Who').fill('');
    await page.getByLabel('Entity').selectOption('admin_key');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.getByTestId('audit').locator('tbody tr').count()).toBe(2);
    await w.shot('09-audit');
    await w.open(`/projects/${id}/flags/does-not-exist`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not found');
  });

  it('is keyboard reachable with a visible focus ring', async () => {
    const { page } = w;
    const id = new URL(page.url()).pathname.split('/')[3];
    await w.open(`/projects/${id}`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const s = getComputedStyle(el);
      return { tag: el.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    expect(focused.outline).toBe('solid');
    expect(focused.width).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).not.toBe(`/console/projects/${id}`);
  });

  it('hides edit controls when the server says the key cannot write', async () => {
    const { page } = w;
    const id = new URL(page.url()).pathname.split('/')[3];
    await page.route('**/v1/me', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      await route.fulfill({ response: res, json: { ...body, scopes: ['read'], can: { write: false, create_projects: false } } });
    });
    await w.open(`/projects/${id}`);
    await page.getByText('read only').waitFor();
    expect(await page.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    await w.open(`/projects/${id}/cohorts`);
    await page.getByRole('heading', { name: 'Cohorts' }).waitFor();
    expect(await page.getByRole('link', { name: 'New cohort' }).count()).toBe(0);
    await page.unroute('**/v1/me');
  });

  it('works on a narrow screen', async () => {
    const { page } = w;
    const id = new URL(page.url()).pathname.split('/')[3];
    await page.setViewportSize({ width: 390, height: 800 });
    await w.open(`/projects/${id}`);
    await page.getByRole('navigation', { name: 'Project' }).waitFor();
    await w.shot('10-narrow-project');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
