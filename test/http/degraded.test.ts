import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { testRedisUrl } from '../helpers/databases.js';

let t: TestContext;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let p: { id: number; bearer: { Authorization: string } };

beforeAll(async () => {
  proxy = await startTcpProxy(Number(new URL(testRedisUrl()).port || 6379));
  t = await createTestContext({ REDIS_URL: proxy.url, REDIS_TIMEOUT_MS: '50' });
  p = await t.newProject('degraded');
  const res = await t.http.post(`/v1/projects/${p.id}/flags`).set(t.admin).send({
    key: 'beta', enabled: true, default_variant: 'off', off_variant: 'off',
    rules: [{ id: 'pro', condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'on' } }],
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  proxy.resume();
  await t.cleanup();
  await proxy.close();
});

const decide = (body: object) => t.http.post('/v1/decide').set(p.bearer).send(body);

describe('degraded mode (PRODUCT.md 12)', () => {
  it('keeps answering 200 quickly when Redis hangs: last known as STALE, else defaults as ERROR', async () => {
    const healthy = await decide({ distinct_id: 'known', person_properties: { plan: 'pro' } });
    expect(healthy.body.flags.beta).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });

    proxy.pause();
    const started = Date.now();
    const stale = await decide({ distinct_id: 'known', person_properties: { plan: 'pro' } });
    expect(stale.status).toBe(200);
    expect(stale.body.flags.beta).toMatchObject({ value: true, reason: 'STALE' });
    expect(stale.body.snapshot.degraded).toBe(true);

    const unknown = await decide({ distinct_id: 'new-user' });
    expect(unknown.status).toBe(200);
    expect(unknown.body.flags.beta).toMatchObject({ value: false, variant: 'off', reason: 'ERROR', error_code: 'GENERAL' });
    expect(Date.now() - started).toBeLessThan(2_000);

    const ready = await t.http.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ redis: 'down', degraded: true, postgres: 'ok' });
  });

  it('recovers when Redis answers again', async () => {
    proxy.resume();
    let reason = '';
    for (let i = 0; i < 40 && reason !== 'TARGETING_MATCH'; i++) {
      reason = (await decide({ distinct_id: 'known', person_properties: { plan: 'pro' } })).body.flags.beta.reason;
      if (reason !== 'TARGETING_MATCH') await new Promise((r) => setTimeout(r, 100));
    }
    expect(reason).toBe('TARGETING_MATCH');
  });
});
