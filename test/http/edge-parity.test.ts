/**
 * One HTTP edge: the handshake's node:http fast path and express answer every auth, error,
 * request-id and ETag case identically (the same table runs against both). The fast path is
 * `t.app` (it claims plain JSON POSTs to /v1/decide); `t.expressApp` is express alone.
 */
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let limited: TestContext;
let p: { id: number; token: string };
let q: { id: number; token: string };

beforeAll(async () => {
  [t, limited] = await Promise.all([createTestContext(), createTestContext({ RATE_LIMIT_PER_S: '1' })]);
  p = await t.newProject('edge');
  q = await limited.newProject('edge-limited');
  const res = await t.http.post(`/v1/projects/${p.id}/flags`).set(t.admin).send({ key: 'beta', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'all', serve: { variant: 'on' } }] });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await Promise.all([t.cleanup(), limited.cleanup()]);
});

interface Case {
  name: string;
  headers?: (token: string) => Record<string, string>;
  body?: (token: string) => string;
  expect: number;
  code?: string;
}

const json = (v: unknown) => JSON.stringify(v);
const CASES: Case[] = [
  { name: 'Bearer token', headers: (k) => ({ Authorization: `Bearer ${k}` }), expect: 200 },
  { name: 'lowercase bearer scheme (RFC 9110)', headers: (k) => ({ Authorization: `bearer ${k}` }), expect: 200 },
  { name: 'uppercase BEARER scheme', headers: (k) => ({ Authorization: `BEARER ${k}` }), expect: 200 },
  { name: 'token in the body (beacons)', body: (k) => json({ token: k, distinct_id: 'u-1' }), expect: 200 },
  { name: 'no token', headers: () => ({}), expect: 401, code: 'unauthorized' },
  { name: 'unknown token', headers: () => ({ Authorization: 'Bearer sbp_nope' }), expect: 401, code: 'unauthorized' },
  { name: 'another scheme', headers: (k) => ({ Authorization: `Basic ${k}` }), expect: 401, code: 'unauthorized' },
  { name: 'malformed JSON', body: () => '{"distinct_id": ', expect: 400, code: 'invalid_request' },
  { name: 'body over 256 KB', body: () => json({ distinct_id: 'u-1', context: { pad: 'x'.repeat(300_000) } }), expect: 413, code: 'payload_too_large' },
  { name: 'placeholder distinct_id', body: () => json({ distinct_id: 'undefined' }), expect: 400, code: 'invalid_request' },
  { name: 'missing distinct_id', body: () => json({ anon_id: 'a-1' }), expect: 400, code: 'invalid_request' },
  { name: 'unknown field', body: () => json({ distinct_id: 'u-1', nope: 1 }), expect: 400, code: 'invalid_request' },
  { name: 'explain without an admin key', body: () => json({ distinct_id: 'u-1', explain: true }), expect: 403, code: 'forbidden' },
  { name: 'a JSON array body', body: () => json([1, 2]), expect: 400, code: 'invalid_request' },
];

async function both(ctx: TestContext, token: string, c: Case) {
  const headers = { 'Content-Type': 'application/json', 'X-Request-Id': `req-${c.name.length}`, ...(c.headers ? c.headers(token) : { Authorization: `Bearer ${token}` }) };
  const body = c.body ? c.body(token) : json({ distinct_id: 'u-1' });
  const send = (app: TestContext['app']) => supertest(app).post('/v1/decide').set(headers).send(body);
  const [fast, express] = [await send(ctx.app), await send(ctx.expressApp)];
  return { fast, express };
}

const view = (r: supertest.Response) => ({
  status: r.status,
  code: r.body?.error?.code,
  message: r.body?.error?.message,
  details: r.body?.error?.details,
  contentType: r.headers['content-type'],
  requestId: r.headers['x-request-id'],
  etag: r.headers.etag,
  cacheControl: r.headers['cache-control'],
  retryAfter: r.headers['retry-after'],
  flags: r.body?.flags,
});

describe('the fast path and express answer alike', () => {
  it.each(CASES)('$name', async (c) => {
    const { fast, express } = await both(t, p.token, c);
    expect(fast.status).toBe(c.expect);
    if (c.code) expect(fast.body.error.code).toBe(c.code);
    expect(view(fast)).toEqual(view(express));
  });

  it('304 on a matching If-None-Match (strong, weak, in a list), 200 otherwise', async () => {
    const first = await supertest(t.app).post('/v1/decide').set({ Authorization: `Bearer ${p.token}` }).send({ distinct_id: 'u-2' });
    const etag = first.headers.etag as string;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '"other"']) {
      const run = (app: TestContext['app']) => supertest(app).post('/v1/decide').set({ Authorization: `Bearer ${p.token}`, 'If-None-Match': inm }).send({ distinct_id: 'u-2' });
      const [fast, express] = [await run(t.app), await run(t.expressApp)];
      expect(fast.status, inm).toBe(inm === '"other"' ? 200 : 304);
      expect(express.status, inm).toBe(fast.status);
      expect(express.headers.etag).toBe(etag);
      expect(fast.headers.etag).toBe(etag);
    }
  });

  it('a request id the client sends is echoed, an oversized one replaced, on both', async () => {
    for (const app of [t.app, t.expressApp]) {
      const mine = await supertest(app).post('/v1/decide').set({ Authorization: `Bearer ${p.token}`, 'X-Request-Id': 'abc-123' }).send({ distinct_id: 'u-3' });
      expect(mine.headers['x-request-id']).toBe('abc-123');
      const long = await supertest(app).post('/v1/decide').set({ Authorization: `Bearer ${p.token}`, 'X-Request-Id': 'x'.repeat(200) }).send({ distinct_id: 'u-3' });
      expect(long.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      for (const odd of ['caf\u00e9-1', 'two words']) {
        const r = await supertest(app).post('/v1/decide').set({ Authorization: `Bearer ${p.token}`, 'X-Request-Id': odd }).send({ distinct_id: 'u-3' });
        expect(r.headers['x-request-id'], odd).toMatch(/^[0-9a-f-]{36}$/);
      }
    }
  });

  it('rate limits count in one store and answer 429 with Retry-After alike', async () => {
    const run = (app: TestContext['app']) => supertest(app).post('/v1/decide').set({ Authorization: `bearer ${q.token}` }).send({ distinct_id: 'u-4' });
    const answers = [await run(limited.app), await run(limited.expressApp), await run(limited.app), await run(limited.expressApp)];
    const limitedOnes = answers.filter((r) => r.status === 429);
    expect(limitedOnes.length).toBeGreaterThanOrEqual(2);
    for (const r of limitedOnes) {
      expect(r.headers['retry-after']).toBe('1');
      expect(r.body.error.code).toBe('rate_limited');
    }
  });

  it('OFREP accepts the lowercase bearer scheme too', async () => {
    const res = await t.http.post('/ofrep/v1/evaluate/flags/beta').set({ Authorization: `bearer ${p.token}` }).send({ context: { targetingKey: 'u-5' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ key: 'beta', value: true });
  });

  const OFREP_CASES: Array<{ name: string; path: string; headers?: (k: string) => Record<string, string>; body: string; expect: number }> = [
    { name: 'bulk', path: '/ofrep/v1/evaluate/flags', body: json({ context: { targetingKey: 'u-6', plan: 'pro' } }), expect: 200 },
    { name: 'bulk, keyless', path: '/ofrep/v1/evaluate/flags', body: json({ context: {} }), expect: 200 },
    { name: 'bulk, empty body', path: '/ofrep/v1/evaluate/flags', body: '', expect: 200 },
    { name: 'bulk, not an object', path: '/ofrep/v1/evaluate/flags', body: '[1]', expect: 400 },
    { name: 'single', path: '/ofrep/v1/evaluate/flags/beta', body: json({ context: { targetingKey: 'u-6' } }), expect: 200 },
    { name: 'single, unknown flag', path: '/ofrep/v1/evaluate/flags/nope', body: json({ context: { targetingKey: 'u-6' } }), expect: 404 },
    { name: 'single, percent-encoded key', path: '/ofrep/v1/evaluate/flags/be%74a', body: json({ context: { targetingKey: 'u-6' } }), expect: 200 },
    { name: 'single, X-API-Key', path: '/ofrep/v1/evaluate/flags/beta', headers: (k) => ({ 'X-API-Key': k }), body: json({ context: { targetingKey: 'u-6' } }), expect: 200 },
    { name: 'no token', path: '/ofrep/v1/evaluate/flags', headers: () => ({}), body: json({ context: {} }), expect: 401 },
    { name: 'body over 256 KB', path: '/ofrep/v1/evaluate/flags', body: json({ context: { pad: 'x'.repeat(300_000) } }), expect: 413 },
  ];

  it.each(OFREP_CASES)('OFREP: $name, on the fast path and on express alike', async (c) => {
    const headers = { 'Content-Type': 'application/json', ...(c.headers ? c.headers(p.token) : { Authorization: `Bearer ${p.token}` }) };
    const fast = await supertest(t.app).post(c.path).set(headers).send(c.body);
    const viaExpress = await supertest(t.expressApp).post(c.path).set(headers).send(c.body);
    expect(fast.status).toBe(c.expect);
    expect(viaExpress.status).toBe(fast.status);
    expect(viaExpress.text).toBe(fast.text);
    expect(viaExpress.headers.etag).toBe(fast.headers.etag);
    expect(fast.headers['x-request-id']).toBeTruthy();
  });

  it('OFREP bulk answers 304 on its ETag, on both', async () => {
    const body = json({ context: { targetingKey: 'u-7' } });
    const first = await supertest(t.app).post('/ofrep/v1/evaluate/flags').set({ Authorization: `Bearer ${p.token}` }).send(body);
    for (const app of [t.app, t.expressApp]) {
      const again = await supertest(app).post('/ofrep/v1/evaluate/flags').set({ Authorization: `Bearer ${p.token}`, 'If-None-Match': first.headers.etag }).send(body);
      expect(again.status).toBe(304);
    }
  });
});
