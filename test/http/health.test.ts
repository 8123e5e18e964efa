import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let noRedis: TestContext;
beforeAll(async () => {
  t = await createTestContext();
  // A port nothing listens on: Redis is "down" for this app.
  noRedis = await createTestContext({ REDIS_URL: 'redis://127.0.0.1:1/0' });
});
afterAll(async () => {
  await t.cleanup();
  await noRedis.cleanup();
});

describe('health, readiness, metrics', () => {
  it('healthz and readyz answer 200 when PostgreSQL and Redis are up', async () => {
    expect((await t.http.get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await t.http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', mode: { postgres: 'server', redis: 'server' }, postgres: 'ok', redis: 'ok' });
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toContain('switchboard_store_mode{postgres="server",redis="server"} 1');
  });

  it('readyz fails when Redis is down, and says so', async () => {
    const ready = await noRedis.http.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not_ready', postgres: 'ok', redis: 'down', degraded: true });
  });

  it('exposes Prometheus metrics', async () => {
    await t.http.get('/healthz');
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('switchboard_http_request_duration_seconds');
  });

  it('answers unknown routes with the error shape and a request id', async () => {
    const res = await t.http.get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(res.headers['x-request-id']).toBeTruthy();
  });
});
