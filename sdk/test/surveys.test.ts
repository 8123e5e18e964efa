import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStorage, type Survey } from '../src/index.js';
import { defineFixtures, until } from './helpers/fixtures.js';
import { startService, type Service } from './helpers/server.js';

let s: Service;

beforeAll(async () => {
  s = await startService();
  await defineFixtures(s, { surveys: true });
});
afterAll(async () => {
  await s?.close();
});

const options = { timeoutMs: 5_000, refreshIntervalMs: 0, flushIntervalMs: 20 };

describe('surveys', () => {
  it('offers a survey when its trigger event is tracked, after its delay, once', async () => {
    const offered: Array<{ key: string; at: number }> = [];
    const c = createClient(s.token, { ...options, host: s.url, onSurvey: (x: Survey) => offered.push({ key: x.key, at: Date.now() }) });
    await c.ready();
    expect(c.getSurveys().map((x) => x.key).sort()).toEqual(['nps', 'welcome']);
    c.track('pageview');
    const t0 = Date.now();
    c.track('purchase', { total: 12 });
    c.track('purchase');
    await until(() => offered.length > 0);
    expect(offered.map((x) => x.key)).toEqual(['nps']);
    expect(offered[0].at - t0).toBeGreaterThanOrEqual(45);
    await new Promise((r) => setTimeout(r, 100));
    expect(offered).toHaveLength(1);
    await c.close();
  });

  it('offers page-view surveys on a URL matching url_pattern', async () => {
    const offered: string[] = [];
    const c = createClient(s.token, { ...options, host: s.url, onSurvey: (x: Survey) => offered.push(x.key) });
    await c.ready();
    c.page('https://shop.example/cart');
    await new Promise((r) => setTimeout(r, 50));
    expect(offered).toEqual([]);
    c.page('https://shop.example/welcome');
    await until(() => offered.length > 0);
    expect(offered).toEqual(['welcome']);
    await c.close();
    const views = (await s.events({ event: '$pageview' })).map((e) => e.properties.$current_url);
    expect(views).toEqual(['https://shop.example/cart', 'https://shop.example/welcome']);
  });

  it('shown: the wait period keeps it away; answered: never again, also after a reload', async () => {
    const storage = memoryStorage();
    const c = createClient(s.token, { ...options, host: s.url, storage });
    await c.ready();
    await c.surveyShown('nps');
    // the server saw `survey shown`: nps has a 30-day wait period, and welcome has none
    expect(c.getSurveys().map((x) => x.key)).toEqual(['welcome']);
    await c.answerSurvey('welcome', { q: 9 });
    expect(c.getSurveys()).toEqual([]);
    const sent = await s.events({ event: 'survey sent' });
    expect(sent.at(-1)).toMatchObject({ distinct_id: c.distinctId(), properties: { $survey_key: 'welcome', $survey_response: { q: 9 } } });
    expect((await s.events({ event: 'survey shown' })).at(-1)?.properties).toEqual({ $survey_key: 'nps' });
    await c.close();

    const offered: string[] = [];
    const again = createClient(s.token, { ...options, host: 'http://127.0.0.1:1', storage, timeoutMs: 200, onSurvey: (x: Survey) => offered.push(x.key) });
    await again.ready();
    again.page('https://shop.example/welcome');
    await new Promise((r) => setTimeout(r, 50));
    expect(offered).toEqual([]);
    await again.close();
  });
});
