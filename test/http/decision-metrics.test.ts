/** `switchboard_decisions_total{kind,reason}` counts every decision served (issue 12, item 6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };

beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('metrics');
  const post = (path: string, body: object) => t.http.post(`/v1/projects/${p.id}/${path}`).set(t.admin).send(body).expect(201);
  await post('flags', { key: 'on', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'all', serve: { variant: 'on' } }] });
  await post('flags', { key: 'static', enabled: true, default_variant: 'off', off_variant: 'off' });
  await post('configs', { key: 'limit', schema: { type: 'integer' }, default: 10 });
});
afterAll(async () => {
  await t.cleanup();
});

const counter = (text: string, kind: string, reason: string) =>
  Number(new RegExp(`switchboard_decisions_total\\{kind="${kind}",reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0);

describe('decision metrics', () => {
  it('counts decisions by kind and reason, across scrapes', async () => {
    for (let i = 0; i < 3; i++) await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: `u-${i}` }).expect(200);
    const first = (await t.http.get('/metrics')).text;
    expect(counter(first, 'flag', 'TARGETING_MATCH')).toBe(3);
    expect(counter(first, 'flag', 'STATIC')).toBe(3);
    expect(counter(first, 'config', 'STATIC')).toBe(3);
    await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'u-9' }).expect(200);
    const second = (await t.http.get('/metrics')).text;
    expect(counter(second, 'flag', 'TARGETING_MATCH')).toBe(4);
  });
});
