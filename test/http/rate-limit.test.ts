import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; bearer: { Authorization: string } };
beforeAll(async () => {
  t = await createTestContext({ RATE_LIMIT_PER_S: '3' });
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
});
