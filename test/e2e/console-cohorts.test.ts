/**
 * Cohorts in a real browser: a static cohort filled by CSV upload with its report before and
 * after applying (how support staff pin a user), the pinned user's decision changing in
 * person lookup, and a behavioural cohort built in the builder that becomes active with
 * the right count after "Refresh now" (the refresher is off in test contexts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendEvents, setPerson, startConsole, type ConsoleWorld } from './support/console-browser.js';

let w: ConsoleWorld;
let project: { id: number; token: string };
let beforePinned = 0;

beforeAll(async () => {
  w = await startConsole();
  project = await w.t.newProject('cohorts e2e');
  await sendEvents(w.t, project.token, [
    { event: 'purchase', distinct_id: 'alice' },
    ...[1, 2, 3].map(() => ({ event: 'purchase', distinct_id: 'bob' })),
    ...[1, 2].map(() => ({ event: 'purchase', distinct_id: 'carol', properties: { stock_code: '85123A' } })),
    { event: 'signup', distinct_id: 'dave' },
  ]);
  await setPerson(w.t, project.token, 'alice', { country: 'Germany', plan: 'pro' });
  await w.signIn();
}, 120_000);

afterAll(async () => {
  await w?.close();
});

const decisionOf = (key: string) => w.page.getByTestId(`value-${key}`).textContent();

describe('static cohort upload and pinning', () => {
  it('creates a static cohort in the console', async () => {
    const { page } = w;
    await w.open(`/projects/${project.id}/cohorts/new`);
    await page.getByLabel('Key', { exact: true }).fill('support-pins');
    await page.getByLabel('Name', { exact: true }).fill('Pinned support ids');
    await page.getByLabel(/static: an uploaded list/).check();
    await page.getByRole('button', { name: 'Create cohort' }).click();
    await page.getByRole('heading', { name: 'Pinned support ids' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/projects/${project.id}/cohorts/support-pins`);
  });

  it('shows alice the default before she is pinned', async () => {
    const res = await w.t.http.post(`/v1/projects/${project.id}/flags`).set(w.t.admin).send({
      key: 'new-checkout',
      enabled: true,
      variants: { control: { value: 'classic' }, express: { value: 'express' } },
      default_variant: 'control',
      rules: [{ id: 'pinned', cohorts: { all: ['support-pins'] }, serve: { variant: 'express' } }],
    });
    expect(res.status).toBe(201);
    await w.open(`/projects/${project.id}/persons/alice`);
    await expect.poll(() => decisionOf('new-checkout')).toContain('control');
    // an instant (whole seconds, as the console's time input takes it) after the flag, before the pin
    await new Promise((r) => setTimeout(r, 1_100));
    beforePinned = Date.now();
    await new Promise((r) => setTimeout(r, 1_100));
  });

  it('uploads a CSV, reads the dry-run report with the invalid line, then applies a clean file dropped on the page', async () => {
    const { page } = w;
    await w.open(`/projects/${project.id}/cohorts/support-pins`);
    const csv = 'distinct_id,note\nalice,support\nnew-hire-7,not seen yet\nnull,placeholder\nalice,duplicate\n';
    await page.locator('#csv-file').setInputFiles({ name: 'pins.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByText('File: pins.csv').waitFor();
    await page.getByRole('button', { name: 'Check upload' }).click();
    const dry = page.getByTestId('report-dry-run');
    await dry.waitFor();
    expect(await dry.getByTestId('count-invalid').textContent()).toBe('1');
    expect(await dry.getByTestId('count-added').textContent()).toBe('2');
    expect(await dry.getByTestId('count-unseen').textContent()).toBe('1');
    expect(await dry.getByTestId('invalid-rows').locator('tbody tr').first().textContent()).toMatch(/^4"null".*placeholder/);
    expect(await page.getByRole('button', { name: 'Apply upload' }).isDisabled()).toBe(true);
    await w.shot('06-static-upload-dry-run');

    // Drag and drop a corrected file onto the drop zone.
    const clean = 'distinct_id\nalice\nnew-hire-7\n';
    const dt = await page.evaluateHandle((text) => {
      const d = new DataTransfer();
      d.items.add(new File([text], 'pins-fixed.csv', { type: 'text/csv' }));
      return d;
    }, clean);
    await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: dt });
    await page.getByText('File: pins-fixed.csv').waitFor();
    await page.getByRole('button', { name: 'Check upload' }).click();
    await expect.poll(() => page.getByTestId('report-dry-run').getByTestId('count-invalid').textContent()).toBe('0');
    expect(await w.t.http.get(`/v1/projects/${project.id}/cohorts/support-pins`).set(w.t.admin).then((r) => r.body.member_count)).toBe(0);
    await page.getByRole('button', { name: 'Apply upload' }).click();
    const applied = page.getByTestId('report-applied');
    await applied.waitFor();
    expect(await applied.getByTestId('count-added').textContent()).toBe('2');
    expect(await applied.getByTestId('count-unseen').textContent()).toBe('1');
    expect(await applied.getByTestId('count-total').textContent()).toBe('2');
    await expect.poll(() => page.getByTestId('members').locator('tbody tr').count()).toBe(2);
    expect(await page.getByTestId('members').textContent()).toContain('not seen yet');
    await expect.poll(() => page.getByTestId('member-count').textContent()).toBe('2');
    await w.shot('07-static-upload-applied');
  });

  it('shows the pinned user their new decision with the trace in person lookup', async () => {
    const { page } = w;
    await w.open(`/projects/${project.id}/persons/alice`);
    await expect
      .poll(async () => {
        await page.getByRole('button', { name: 'Reload' }).click();
        await page.getByTestId('value-new-checkout').waitFor();
        return decisionOf('new-checkout');
      }, { timeout: 15_000 })
      .toContain('express');
    expect(await page.getByTestId('person-cohorts').textContent()).toContain('support-pins');
    await page.getByRole('row', { name: /new-checkout/ }).getByRole('button', { name: 'Trace' }).click();
    expect(await page.getByRole('list', { name: 'trace of new-checkout' }).textContent()).toMatch(/pinned.*matched.*why this value/);
    expect(await page.getByTestId('events').textContent()).toContain('purchase');
    await w.shot('08-person');
  });

  it('replays what alice got before she was pinned, with the trace, and lists her membership since', async () => {
    const { page } = w;
    await w.open(`/projects/${project.id}/persons/alice`);
    expect(await page.getByTestId('person-cohorts').textContent()).toMatch(/support-pins.*member since/);
    const local = await page.evaluate((ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 19), beforePinned);
    await page.getByLabel('At (your time zone)').fill(local);
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.getByTestId('replay').waitFor();
    expect(await page.getByTestId('replay-value-new-checkout').textContent()).toContain('control');
    expect(await page.getByTestId('replay-exact').textContent()).toMatch(/^Exact/);
    await page.getByTestId('replay-decisions').getByRole('row', { name: /new-checkout/ }).getByRole('button', { name: 'Trace' }).click();
    expect(await page.getByRole('list', { name: 'trace of new-checkout' }).last().textContent()).toMatch(/pinned.*no match/);
    await w.shot('08b-person-replay');
  });

  it('removes a member from the list', async () => {
    const { page } = w;
    await w.open(`/projects/${project.id}/cohorts/support-pins`);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'remove new-hire-7' }).click();
    await expect.poll(() => page.getByTestId('members').locator('tbody tr').count()).toBe(1);
  });
});

describe('behavioural cohort in the builder', () => {
  it('builds "purchased at least twice", creates it and refreshes it to active with the right count', async () => {
    const { page } = w;
    await w.open(`/projects/${project.id}/cohorts/new`);
    await page.getByLabel('Key', { exact: true }).fill('repeat-buyers');
    await page.getByLabel('Name', { exact: true }).fill('Bought at least twice');
    await page.getByLabel('event name (prefix_* or * for any)').fill('purchase');
    await page.getByLabel('how often').selectOption('gte');
    await page.getByLabel('times').fill('2');
    await page.getByLabel('time window').selectOption('last');
    await page.getByLabel('window (30d, 12h, 2w)').fill('7d');
    await page.getByRole('button', { name: '+ event property' }).click();
    await page.getByLabel('event property', { exact: true }).fill('stock_code');
    await page.getByLabel('operator', { exact: true }).last().selectOption('is_set');
    await w.shot('04-cohort-builder');
    await page.getByRole('tab', { name: 'JSON' }).click();
    const json = JSON.parse(await page.getByLabel('Definition (JSON)').inputValue());
    expect(json).toEqual({
      type: 'AND',
      values: [{ type: 'behavioral', event: 'purchase', count: { op: 'gte', value: 2 }, window: { last: '7d' }, where: [{ key: 'stock_code', operator: 'is_set' }] }],
    });
    // Only carol's purchases carry a stock_code; drop the where filter in the builder: bob and carol.
    await page.getByRole('tab', { name: 'Builder' }).click();
    await page.getByRole('button', { name: 'remove event property filter 1' }).click();
    await page.getByRole('button', { name: 'Create cohort' }).click();
    await page.getByRole('heading', { name: 'Bought at least twice' }).waitFor();
    expect(await page.locator('.title-row .badge').textContent()).toBe('building');
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await expect.poll(() => page.getByTestId('cohort-notice').textContent()).toContain('Refreshed: 2 members');
    await expect.poll(() => page.locator('.title-row .badge').textContent()).toBe('active');
    expect(await page.getByTestId('member-count').textContent()).toBe('2');
    await expect.poll(() => page.getByTestId('calculations').locator('tbody tr').count()).toBe(1);
    await w.shot('05-cohort-active');
  });

  it('pauses and resumes from the lifecycle buttons', async () => {
    const { page } = w;
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.locator('.title-row .badge').textContent()).toBe('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.locator('.title-row .badge').textContent()).toBe('active');
    await w.open(`/projects/${project.id}/cohorts`);
    await expect.poll(() => page.getByRole('row', { name: /repeat-buyers/ }).textContent()).toMatch(/dynamic.*active.*2/);
    await w.shot('02-cohorts');
  });
});
