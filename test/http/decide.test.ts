import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };

beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('decide');
  const flags = `/v1/projects/${p.id}/flags`;
  const post = async (path: string, body: object) => {
    const res = await t.http.post(path).set(t.admin).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  };
  await post(flags, { key: 'beta', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'pro', condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'on' } }] });
  await post(flags, { key: 'everyone', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'all', rollout: 100, serve: { variant: 'on' } }] });
  await post(flags, { key: 'nobody', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'none', rollout: 0, serve: { variant: 'on' } }] });
  await post(flags, { key: 'killed', enabled: false, default_variant: 'on', off_variant: 'off' });
  await post(flags, {
    key: 'checkout', enabled: true, default_variant: 'a', off_variant: 'a',
    variants: { a: { value: 'a' }, b: { value: 'b' } },
    rules: [{ id: 'ab', serve: { split: [{ variant: 'a', weight: 50 }, { variant: 'b', weight: 50 }] } }],
  });
  await post(`/v1/projects/${p.id}/configs`, { key: 'limits', schema: { type: 'integer' }, default: 10, rules: [{ id: 'big', condition: { '>': [{ var: 'seats' }, 100] }, serve: { value: 1000 } }] });
});
afterAll(async () => {
  await t.cleanup();
});

const decide = (body: object, headers: Record<string, string> = {}) => t.http.post('/v1/decide').set(p.bearer).set(headers).send(body);

describe('POST /v1/decide', () => {
  it('answers every flag and config with value, variant and reason', async () => {
    const res = await decide({ distinct_id: 'user-1', person_properties: { plan: 'pro', seats: 500 } });
    expect(res.status).toBe(200);
    expect(res.body.flags.beta).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH', rule_id: 'pro', version: 1 });
    expect(res.body.flags.everyone).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(res.body.flags.nobody).toMatchObject({ value: false, reason: 'DEFAULT' });
    expect(res.body.flags.killed).toMatchObject({ value: false, reason: 'DISABLED' });
    expect(res.body.flags.checkout.reason).toBe('SPLIT');
    expect(res.body.configs.limits).toMatchObject({ value: 1000, reason: 'TARGETING_MATCH' });
    expect(res.body.snapshot.version).toBeGreaterThan(0);
    expect(typeof res.body.generated_at).toBe('string');
    const other = await decide({ distinct_id: 'user-1', person_properties: { plan: 'free' } });
    expect(other.body.flags.beta).toMatchObject({ value: false, reason: 'DEFAULT' });
  });

  it('is deterministic per distinct_id and splits across users', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const a = await decide({ distinct_id: `u${i}` });
      const b = await decide({ distinct_id: `u${i}` });
      expect(a.body.flags.checkout.variant).toBe(b.body.flags.checkout.variant);
      seen.add(a.body.flags.checkout.variant);
    }
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  it('answers a gzip body (served by the express route) exactly as the fast path', async () => {
    const body = JSON.stringify({ distinct_id: 'user-gz', person_properties: { plan: 'pro' } });
    const fast = await decide(JSON.parse(body));
    const gz = await t.http.post('/v1/decide').set(p.bearer).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').serialize((b: unknown) => b as string).send(gzipSync(body));
    expect(gz.status, JSON.stringify(gz.body)).toBe(200);
    expect(gz.headers.etag).toBe(fast.headers.etag);
    expect(gz.body.flags).toEqual(fast.body.flags);
    const tooBig = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'x', context: { pad: 'x'.repeat(300_000) } });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
    const malformed = await t.http.post('/v1/decide').set(p.bearer).set('Content-Type', 'application/json').send('{"distinct_id":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/malformed JSON/);
  });

  it('limits keys with only, and answers 304 for a matching If-None-Match', async () => {
    const res = await decide({ distinct_id: 'user-2', only: ['beta'] });
    expect(Object.keys(res.body.flags)).toEqual(['beta']);
    expect(res.body.configs).toEqual({});
    const etag = res.headers.etag;
    expect(etag).toMatch(/^"/);
    const again = await decide({ distinct_id: 'user-2', only: ['beta'] }, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    const changed = await decide({ distinct_id: 'user-2', only: ['beta'], person_properties: { plan: 'pro' } }, { 'If-None-Match': etag });
    expect(changed.status).toBe(200);
  });

  it('serves a changed definition within a moment (pub/sub)', async () => {
    const before = await decide({ distinct_id: 'user-3', only: ['nobody'] });
    expect(before.body.flags.nobody.value).toBe(false);
    const current = await t.http.get(`/v1/projects/${p.id}/flags/nobody`).set(t.admin);
    await t.http.put(`/v1/projects/${p.id}/flags/nobody`).set(t.admin).set('If-Match', String(current.body.version))
      .send({ enabled: true, default_variant: 'on', off_variant: 'off', rules: [] });
    let value = false;
    for (let i = 0; i < 50 && !value; i++) {
      await new Promise((r) => setTimeout(r, 50));
      value = (await decide({ distinct_id: 'user-3', only: ['nobody'] })).body.flags.nobody.value;
    }
    expect(value).toBe(true);
  });

  it('refuses bad input with the field named, and bad tokens with 401', async () => {
    const missing = await decide({});
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/^body\.distinct_id/);
    const placeholder = await decide({ distinct_id: 'undefined' });
    expect(placeholder.status).toBe(400);
    expect(placeholder.body.error.message).toMatch(/placeholder/);
    const extra = await decide({ distinct_id: 'x', bogus: 1 });
    expect(extra.status).toBe(400);
    const explain = await decide({ distinct_id: 'x', explain: true });
    expect(explain.status).toBe(403);
    const noToken = await t.http.post('/v1/decide').send({ distinct_id: 'x' });
    expect(noToken.status).toBe(401);
    const badToken = await t.http.post('/v1/decide').set({ Authorization: 'Bearer sbp_nope' }).send({ distinct_id: 'x' });
    expect(badToken.status).toBe(401);
    const bodyToken = await t.http.post('/v1/decide').send({ distinct_id: 'x', token: p.token });
    expect(bodyToken.status).toBe(200);
  });
});
