import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; bearer: { Authorization: string } };
beforeAll(async () => {
  t = await createTestContext({ RATE_LIMIT_PER_S: '3', ADMIN_RATE_LIMIT_PER_S: '3' });
  p = await t.newProject('limited');
});
afterAll(async () => {
  await t.cleanup();
});

describe('per-token rate limit', () => {
  it('answers 429 with Retry-After on /v1/decide and on OFREP, in each one\'s error shape', async () => {
    const statuses: number[] = [];
    let limited: { headers: Record<string, string>; body: { error?: { code: string }; errorDetails?: string } } | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'u' });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(limited!.headers['retry-after']).toBe('1');
    expect(limited!.body.error!.code).toBe('rate_limited');

    const ofrep = await t.http.post('/ofrep/v1/evaluate/flags').set(p.bearer).send({ context: { targetingKey: 'u' } });
    expect(ofrep.status).toBe(429);
    expect(ofrep.headers['retry-after']).toBe('1');
    expect(ofrep.body.errorDetails).toMatch(/requests per second/);
  });

  it('limits every public write per token: events, engage and alias', async () => {
    const writes = [
      () => t.http.post('/v1/events').set(p.bearer).send({ event: 'e', distinct_id: 'u' }),
      () => t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'u', $set: { plan: 'pro' } }),
      () => t.http.post('/v1/alias').set(p.bearer).send({ distinct_id: 'u', alias: 'anon-u' }),
    ];
    const statuses = (await Promise.all(Array.from({ length: 12 }, (_, i) => writes[i % 3]()))).map((r) => ({ status: r.status, retry: r.headers['retry-after'] }));
    const limited = statuses.filter((s) => s.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(6);
    expect(limited.every((s) => s.retry === '1')).toBe(true);
    expect(statuses.filter((s) => s.status !== 429 && s.status >= 300)).toEqual([]);
  });

  it('counts keyless OFREP requests (no targetingKey: no Redis read) against the same limit', async () => {
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => t.http.post('/ofrep/v1/evaluate/flags').set(p.bearer).send({ context: {} })))).map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(4);
    expect(statuses.filter((s) => s !== 429 && s !== 200)).toEqual([]);
  });

  it('limits the admin API per admin key', async () => {
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => t.http.get(`/v1/projects/${p.id}`).set(t.admin)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(4);
    expect(statuses.filter((s) => s !== 429 && s !== 200)).toEqual([]);
  });
});
