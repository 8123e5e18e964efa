/**
 * The flag editor in a real browser: reorder two rules by drag and drop and read the
 * "who would change" preview, save with If-Match, see the server's 400 next to the field,
 * and a stale edit answered as "changed by someone else" with the diff.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendEvents, setPerson, startConsole, type ConsoleWorld } from './support/console-browser.js';

let w: ConsoleWorld;
let project: { id: number; token: string };
const FLAG = {
  key: 'checkout-layout',
  description: 'Layout of the checkout page',
  enabled: true,
  variants: { wide: { value: 'wide' }, compact: { value: 'compact', payload: { columns: 1 } } },
  default_variant: 'compact',
  rules: [
    { id: 'germany', condition: { '==': [{ var: 'country' }, 'DE'] }, serve: { variant: 'wide' } },
    { id: 'everyone', serve: { variant: 'compact' } },
  ],
};

beforeAll(async () => {
  w = await startConsole();
  project = await w.t.newProject('flags e2e');
  const people = { de1: 'DE', de2: 'DE', de3: 'DE', fr1: 'FR', us1: 'US' };
  await sendEvents(w.t, project.token, Object.keys(people).map((id) => ({ event: 'visit', distinct_id: id })));
  for (const [id, country] of Object.entries(people)) await setPerson(w.t, project.token, id, { country });
  expect((await w.t.http.post(`/v1/projects/${project.id}/flags`).set(w.t.admin).send(FLAG)).status).toBe(201);
  await w.signIn();
}, 120_000);

afterAll(async () => {
  await w?.close();
});

const ruleOrder = () => w.page.locator('li[data-rule-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-rule-id')));

describe('flag editor', () => {
  it('lists flags with search, state, version and last change', async () => {
    const { page } = w;
    await w.open(`/projects/${project.id}/flags`);
    await page.getByRole('link', { name: 'checkout-layout' }).waitFor();
    expect(await page.getByRole('row', { name: /checkout-layout/ }).textContent()).toMatch(/on.*2.*1/);
    await page.getByLabel('Search by key or description').fill('nothing-like-it');
    await page.getByText('Nothing matches the search.').waitFor();
    await page.getByLabel('Search by key or description').fill('checkout');
    await page.getByRole('link', { name: 'checkout-layout' }).waitFor();
    await w.shot('11-flags');
  });

  it('reorders two rules by drag and drop and previews who changes', async () => {
    const { page } = w;
    await page.getByRole('link', { name: 'checkout-layout' }).click();
    await page.getByRole('heading', { name: 'checkout-layout' }).waitFor();
    expect(await ruleOrder()).toEqual(['germany', 'everyone']);
    await page.getByTestId('rule-handle-everyone').dragTo(page.locator('li[data-rule-id="germany"]'));
    await expect.poll(ruleOrder).toEqual(['everyone', 'germany']);
    await page.getByRole('button', { name: 'Preview who changes' }).click();
    await expect.poll(() => page.getByTestId('preview-changed').textContent()).toBe('3');
    const preview = page.getByTestId('preview-result');
    expect(await preview.textContent()).toContain('of 5 sampled persons would change');
    expect(await preview.getByRole('table', { name: 'Changes' }).textContent()).toMatch(/wide.*compact.*3/);
    const sample = await preview.getByRole('table', { name: 'Sample of persons who change' }).locator('tbody tr td:first-child').allTextContents();
    expect(sample.sort()).toEqual(['de1', 'de2', 'de3']);
    await w.shot('12-flag-preview');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved version 2.').waitFor();
    const saved = await w.t.http.get(`/v1/projects/${project.id}/flags/checkout-layout`).set(w.t.admin);
    expect(saved.body.rules.map((r: { id: string }) => r.id)).toEqual(['everyone', 'germany']);
  });

  it('shows the server 400 next to the field that caused it', async () => {
    const { page } = w;
    await page.getByRole('button', { name: 'germany', exact: true }).click();
    await page.getByLabel('Condition (JSON Logic over person properties)').fill('{"regex_match": [{"var": "country"}, "^D"]}');
    await page.getByRole('button', { name: 'Save' }).click();
    const issue = page.locator('#rule-1-condition-errors');
    await expect.poll(() => issue.textContent()).toMatch(/unknown operator "regex_match"/);
    await page.getByRole('button', { name: 'Revert' }).click();
  });

  it('answers a stale save with "changed by someone else" and the diff, then saves over it', async () => {
    const { page } = w;
    const current = await w.t.http.get(`/v1/projects/${project.id}/flags/checkout-layout`).set(w.t.admin);
    const { key: _key, version, created_at: _c, updated_at: _u, ...doc } = current.body;
    const other = await w.t.http.put(`/v1/projects/${project.id}/flags/checkout-layout`).set(w.t.admin).set('If-Match', `"${version}"`).send({ ...doc, description: 'changed in another tab' });
    expect(other.status).toBe(200);
    await page.locator('#def-description').fill('my description');
    await page.getByRole('button', { name: 'Save' }).click();
    const panel = page.getByRole('alert').filter({ hasText: 'Changed by someone else' });
    await panel.waitFor();
    expect(await panel.textContent()).toContain(`Version ${version + 1} was saved while you edited version ${version}`);
    expect(await panel.getByRole('row', { name: /description/ }).textContent()).toMatch(/changed in another tab.*my description/);
    await w.shot('13-flag-conflict');
    await page.getByRole('button', { name: `Keep my edit over version ${version + 1}` }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`Saved version ${version + 2}.`).waitFor();
    const after = await w.t.http.get(`/v1/projects/${project.id}/flags/checkout-layout`).set(w.t.admin);
    expect(after.body.description).toBe('my description');
  });

  it('turns the flag off with the kill switch', async () => {
    const { page } = w;
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Kill switch: off now' }).click();
    await page.getByText(/Killed: version \d+ serves the off variant/).waitFor();
    const after = await w.t.http.get(`/v1/projects/${project.id}/flags/checkout-layout`).set(w.t.admin);
    expect(after.body.enabled).toBe(false);
  });

  it('creates a flag, a config and a survey from the editor templates', async () => {
    const { page } = w;
    for (const [plural, kind, key] of [['flags', 'flag', 'dark-mode'], ['configs', 'config', 'limits'], ['surveys', 'survey', 'nps']] as const) {
      await w.open(`/projects/${project.id}/${plural}/new`);
      await page.getByLabel('Key', { exact: true }).fill(key);
      if (kind === 'config') {
        await page.getByRole('button', { name: 'Add rule' }).click();
        await page.locator('#rule-0-value').fill('{"max": 3}');
      }
      await page.getByRole('button', { name: `Create ${kind}` }).click();
      await page.getByText('Saved version 1.').waitFor();
      expect(new URL(page.url()).pathname).toBe(`/console/projects/${project.id}/${plural}/${key}`);
      expect((await w.t.http.get(`/v1/projects/${project.id}/${plural}/${key}`).set(w.t.admin)).status).toBe(200);
    }
    const config = await w.t.http.get(`/v1/projects/${project.id}/configs/limits`).set(w.t.admin);
    expect(config.body.rules).toEqual([{ id: 'rule-1', serve: { value: { max: 3 } } }]);
  });
});

