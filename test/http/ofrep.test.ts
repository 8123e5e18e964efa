import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenFeature as ServerFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature as WebFeature } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('ofrep');
  const post = async (path: string, body: object) => {
    const res = await t.http.post(`/v1/projects/${p.id}${path}`).set(t.admin).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  };
  await post('/flags', { key: 'beta', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'vip', condition: { '==': [{ var: 'plan' }, 'vip'] }, serve: { variant: 'on' } }] });
  await post('/flags', { key: 'disabled', enabled: false, default_variant: 'on', off_variant: 'off' });
  await post('/flags', { key: 'color', state: 'DISABLED', variants: { red: 'red', blue: 'blue' }, defaultVariant: 'red' });
  await post('/flags', { key: 'size', state: 'ENABLED', variants: { s: 1, l: 3 }, defaultVariant: 's', targeting: { if: [{ ends_with: [{ var: 'email' }, '@big.com'] }, 'l', null] } });
  await post('/flags', { key: 'half', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'half', rollout: 50, serve: { variant: 'on' } }] });
  await post('/configs', { key: 'limits', schema: { type: 'object' }, default: { max: 10 } });
  server = createServer(t.app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await ServerFeature.close();
  await WebFeature.close();
  await new Promise((r) => server.close(r));
  await t.cleanup();
});

const ofrep = (path: string, body: object, headers: Record<string, string> = p.bearer) => t.http.post(`/ofrep/v1/evaluate/flags${path}`).set(headers).send(body);

describe('OFREP over HTTP', () => {
  it('evaluates a single flag', async () => {
    const res = await ofrep('/beta', { context: { targetingKey: 'u1', plan: 'vip' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ key: 'beta', value: true, variant: 'on', reason: 'TARGETING_MATCH', metadata: { version: 1, rule_id: 'vip' } });
  });

  it('omits the value of disabled flags', async () => {
    const res = await ofrep('/color', { context: { targetingKey: 'u1' } });
    expect(res.status).toBe(200);
    expect(res.body.reason).toBe('DISABLED');
    expect(res.body).not.toHaveProperty('value');
  });

  it('answers 404 FLAG_NOT_FOUND and 401', async () => {
    const missing = await ofrep('/nope', { context: { targetingKey: 'u1' } });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ key: 'nope', errorCode: 'FLAG_NOT_FOUND' });
    expect((await ofrep('/beta', { context: { targetingKey: 'u' } }, {})).status).toBe(401);
    expect((await ofrep('', { context: { targetingKey: 'u' } }, { Authorization: 'Bearer nope' })).status).toBe(401);
  });

  // PRODUCT.md 8.2: a request without targetingKey is never refused whole (flagd answers it):
  // a native rule that needs no key evaluates, one that needs a bucketing key reports
  // TARGETING_KEY_MISSING; a flagd-format flag sees the context as sent.
  it('evaluates requests without a usable targetingKey', async () => {
    const noKey = await ofrep('/beta', { context: { plan: 'vip' } });
    expect(noKey.status).toBe(200);
    expect(noKey.body).toMatchObject({ key: 'beta', value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    const rollout = await ofrep('/half', { context: {} });
    expect(rollout.status).toBe(400);
    expect(rollout.body).toMatchObject({ key: 'half', errorCode: 'TARGETING_KEY_MISSING' });
    const numeric = await ofrep('/size', { context: { targetingKey: 42, email: 'x@big.com' } });
    expect(numeric.body).toMatchObject({ key: 'size', value: 3, variant: 'l', reason: 'TARGETING_MATCH', metadata: {} });
    expect(numeric.headers['switchboard-definition-version']).toBe('1');
    const bulk = await ofrep('', {});
    expect(bulk.status).toBe(200);
    expect(bulk.body.flags.map((f: { key: string }) => f.key).sort()).toEqual(['beta', 'color', 'disabled', 'half', 'limits', 'size']);
  });

  it('answers a malformed body as flagd does (400 INVALID_CONTEXT)', async () => {
    const res = await t.http.post('/ofrep/v1/evaluate/flags/beta').set(p.bearer).set('Content-Type', 'application/json').send('{"context": ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ key: 'beta', errorCode: 'INVALID_CONTEXT', errorDetails: 'Provider context is not valid' });
  });

  it('evaluates in bulk with an ETag and 304', async () => {
    const res = await ofrep('', { context: { targetingKey: 'u2', email: 'a@big.com' } });
    expect(res.status).toBe(200);
    const byKey = Object.fromEntries(res.body.flags.map((f: { key: string }) => [f.key, f]));
    expect(byKey.size).toMatchObject({ value: 3, variant: 'l', reason: 'TARGETING_MATCH' });
    expect(byKey.limits).toMatchObject({ value: { max: 10 }, reason: 'STATIC' });
    const again = await ofrep('', { context: { targetingKey: 'u2', email: 'a@big.com' } }, { ...p.bearer, 'If-None-Match': res.headers.etag });
    expect(again.status).toBe(304);
  });

  it('works with the OpenFeature server SDK and its OFREP provider', async () => {
    await ServerFeature.setProviderAndWait(new OFREPProvider({ baseUrl, headers: [['Authorization', `Bearer ${p.token}`]] }));
    const client = ServerFeature.getClient();
    const vip = await client.getBooleanDetails('beta', false, { targetingKey: 'u3', plan: 'vip' });
    expect(vip).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    const free = await client.getBooleanDetails('beta', true, { targetingKey: 'u3', plan: 'free' });
    expect(free).toMatchObject({ value: false, reason: 'DEFAULT' });
    const disabled = await client.getStringDetails('color', 'code-default', { targetingKey: 'u3' });
    expect(disabled.value).toBe('code-default');
    const missing = await client.getBooleanDetails('nope', true, { targetingKey: 'u3' });
    expect(missing).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    const mismatch = await client.getNumberDetails('beta', 7, { targetingKey: 'u3' });
    expect(mismatch).toMatchObject({ value: 7, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
  });

  it('works with the OpenFeature web SDK and its OFREP web provider', async () => {
    await WebFeature.setContext({ targetingKey: 'u4', email: 'b@big.com', plan: 'vip' });
    await WebFeature.setProviderAndWait(new OFREPWebProvider({ baseUrl, headers: [['Authorization', `Bearer ${p.token}`]], pollInterval: 0 }));
    const client = WebFeature.getClient();
    expect(client.getNumberDetails('size', 0)).toMatchObject({ value: 3, variant: 'l' });
    expect(client.getBooleanDetails('beta', false)).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(client.getObjectValue('limits', {})).toEqual({ max: 10 });
  });
});
