import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { createTestDatabase } from '../helpers/databases.js';
import { inject } from 'vitest';

let t: TestContext;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let p: { id: number; bearer: { Authorization: string } };
let drop: () => Promise<void>;

beforeAll(async () => {
  // This file's database, reached through a proxy the test can take away.
  const db = await createTestDatabase(inject('templateDb'));
  drop = db.drop;
  proxy = await startTcpProxy(Number(new URL(db.url).port || 5432));
  const url = new URL(db.url);
  url.port = String(proxy.port);
  t = await createTestContext({ DATABASE_URL: url.toString(), DEFINITIONS_POLL_MS: '100' });
  p = await t.newProject('pg-down');
  const res = await t.http.post(`/v1/projects/${p.id}/flags`).set(t.admin).send({
    key: 'beta', enabled: true, default_variant: 'off', off_variant: 'off',
    rules: [{ id: 'pro', condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'on' } }],
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await t.cleanup().catch(() => {});
  await proxy.close();
  await drop();
});

describe('PostgreSQL down (PRODUCT.md 12)', () => {
  it('keeps deciding from memory and Redis while ingestion answers 503 with Retry-After', async () => {
    const before = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'u1', person_properties: { plan: 'pro' } });
    expect(before.body.flags.beta).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });

    await proxy.close();
    await new Promise((r) => setTimeout(r, 300)); // a few failed snapshot polls

    for (const id of ['u1', 'someone-new']) {
      const res = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: id, person_properties: { plan: 'pro' } });
      expect(res.status).toBe(200);
      expect(res.body.flags.beta).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
      expect(res.body.snapshot.degraded).toBe(false);
    }
    const ofrep = await t.http.post('/ofrep/v1/evaluate/flags/beta').set(p.bearer).send({ context: { targetingKey: 'u2', plan: 'pro' } });
    expect(ofrep.body).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });

    const ingest = await t.http.post('/v1/events').set(p.bearer).send({ event: 'pageview', distinct_id: 'u1' });
    expect(ingest.status).toBe(503);
    expect(ingest.headers['retry-after']).toBeTruthy();
    const ready = await t.http.get('/readyz');
    expect(ready.body).toMatchObject({ postgres: 'down', redis: 'ok' });
  });
});
