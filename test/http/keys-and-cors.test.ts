/**
 * Admin key scopes and rotation, the audit trail of admin writes, CORS for browser SDKs and
 * limits shared by replicas (PRODUCT.md 9, 12, 17; issue 14).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import supertest from 'supertest';
import { composeAll } from '../../src/composition.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };

beforeAll(async () => {
  t = await createTestContext({ RATE_LIMIT_PER_S: '10' });
  p = await t.newProject('keys-and-cors');
});
afterAll(async () => {
  await t.cleanup();
});

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

async function newKey(body: object): Promise<{ id: number; key: string; scope: string; prefix: string }> {
  const res = await t.http.post(`/v1/projects/${p.id}/keys`).set(t.admin).send(body);
  expect(res.status).toBe(201);
  return res.body;
}

describe('admin key scopes', () => {
  it('a read key reads and previews but changes nothing', async () => {
    const read = await newKey({ name: 'viewer', scope: 'read' });
    expect(read.scope).toBe('read');
    const h = bearer(read.key);

    expect((await t.http.get(`/v1/projects/${p.id}`).set(h)).status).toBe(200);
    expect((await t.http.get(`/v1/projects/${p.id}/flags`).set(h)).status).toBe(200);
    expect((await t.http.get(`/v1/projects/${p.id}/persons/someone?explain=1`).set(h)).status).not.toBe(403);
    const me = await t.http.get('/v1/me').set(h);
    expect(me.body.scopes).toEqual(['read']);
    expect(me.body.can.write).toBe(false);

    const writes = [
      t.http.post(`/v1/projects/${p.id}/flags`).set(h).send({ key: 'nope', state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' }),
      t.http.patch(`/v1/projects/${p.id}`).set(h).send({ name: 'renamed' }),
      t.http.post(`/v1/projects/${p.id}/keys`).set(h).send({ name: 'escalate' }),
      t.http.delete(`/v1/projects/${p.id}/keys/${read.id}`).set(h),
      t.http.post(`/v1/projects/${p.id}/cohorts`).set(h).send({ key: 'c', name: 'c', kind: 'static' }),
    ];
    for (const res of await Promise.all(writes)) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(res.body.error.message).toMatch(/read-only/);
    }
    expect((await t.http.get(`/v1/projects/${p.id}`).set(t.admin)).body.name).toBe('keys-and-cors');
  });

  it('a write key may write, and is the default', async () => {
    const write = await newKey({ name: 'editor' });
    expect(write.scope).toBe('write');
    const me = await t.http.get('/v1/me').set(bearer(write.key));
    expect(me.body.scopes).toEqual(['read', 'write']);
    const res = await t.http.post(`/v1/projects/${p.id}/flags`).set(bearer(write.key)).send({ key: 'by-editor', state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' });
    expect(res.status).toBe(201);
  });

  it('refuses an unknown scope naming the field', async () => {
    const res = await t.http.post(`/v1/projects/${p.id}/keys`).set(t.admin).send({ name: 'x', scope: 'admin' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('scope');
  });
});

describe('admin key rotation', () => {
  it('a new secret works at once; the old one works until its grace period ends', async () => {
    const k = await newKey({ name: 'rotating' });
    const rotated = await t.http.post(`/v1/projects/${p.id}/keys/${k.id}/rotate`).set(t.admin).send({ grace_s: 3600 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.key).toMatch(/^sba_/);
    expect(rotated.body.key).not.toBe(k.key);
    expect(rotated.body.id).toBe(k.id);
    expect(Date.parse(rotated.body.previous_expires_at) - Date.now()).toBeGreaterThan(3500_000);

    expect((await t.http.get('/v1/me').set(bearer(rotated.body.key))).status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(200);

    // Rotating again with no grace ends both earlier secrets at once.
    const again = await t.http.post(`/v1/projects/${p.id}/keys/${k.id}/rotate`).set(t.admin).send({ grace_s: 0 });
    expect(again.status).toBe(200);
    expect((await t.http.get('/v1/me').set(bearer(k.key))).status).toBe(401);
    expect((await t.http.get('/v1/me').set(bearer(rotated.body.key))).status).toBe(401);
    expect((await t.http.get('/v1/me').set(bearer(again.body.key))).status).toBe(200);
  });

  it('refuses a revoked key, bad grace periods and a read key', async () => {
    const k = await newKey({ name: 'short-lived' });
    await t.http.delete(`/v1/projects/${p.id}/keys/${k.id}`).set(t.admin).expect(200);
    expect((await t.http.post(`/v1/projects/${p.id}/keys/${k.id}/rotate`).set(t.admin).send({})).status).toBe(404);
    const bad = await t.http.post(`/v1/projects/${p.id}/keys/${k.id}/rotate`).set(t.admin).send({ grace_s: 31 * 86_400 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('grace_s');
    const read = await newKey({ name: 'reader', scope: 'read' });
    expect((await t.http.post(`/v1/projects/${p.id}/keys/${read.id}/rotate`).set(bearer(read.key)).send({})).status).toBe(403);
  });

  it('refuses secrets that share a prefix but not the hash', async () => {
    const k = await newKey({ name: 'prefix' });
    const forged = k.key.slice(0, -1) + (k.key.endsWith('A') ? 'B' : 'A');
    expect((await t.http.get('/v1/me').set(bearer(forged))).status).toBe(401);
    expect((await t.http.get('/v1/me').set(bearer(k.key.slice(0, 8)))).status).toBe(401);
  });
});

describe('the audit log of admin writes', () => {
  it('names the key that made each change', async () => {
    const k = await newKey({ name: 'auditor' });
    await t.http.post(`/v1/projects/${p.id}/flags`).set(bearer(k.key)).send({ key: 'audited', state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' }).expect(201);
    await t.http.post(`/v1/projects/${p.id}/keys/${k.id}/rotate`).set(bearer(k.key)).send({}).expect(200);
    await t.http.patch(`/v1/projects/${p.id}`).set(bearer(k.key)).send({ allowed_origins: null }).expect(200);
    await t.http.post(`/v1/projects/${p.id}/cohorts`).set(bearer(k.key)).send({ key: 'audited', name: 'a', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'pro' } }).expect(201);
    await t.http.post(`/v1/projects/${p.id}/cohorts/audited/refresh`).set(bearer(k.key)).expect(200);
    await t.http.post(`/v1/projects/${p.id}/cohorts/audited/pause`).set(bearer(k.key)).expect(200);
    const audit = await t.http.get(`/v1/projects/${p.id}/audit`).set(t.admin);
    const mine = audit.body.data.filter((e: { actor: string }) => e.actor.startsWith(`admin_key:${k.id}:`));
    const actions = mine.map((e: { action: string; entity_kind: string }) => `${e.action} ${e.entity_kind}`).sort();
    expect(actions).toEqual(['create cohort', 'create flag', 'pause cohort', 'refresh cohort', 'rotate admin_key', 'update project']);
  });
});

describe('CORS for browser SDKs', () => {
  const page = 'https://app.example.com';

  it('answers a preflight on public paths without touching PostgreSQL', async () => {
    let queries = 0;
    const pool = t.pool as unknown as { query: (...a: unknown[]) => unknown; connect: (...a: unknown[]) => unknown };
    const { query, connect } = pool;
    pool.query = (...a) => { queries++; return query.apply(t.pool, a); };
    pool.connect = (...a) => { queries++; return connect.apply(t.pool, a); };
    try {
      for (const path of ['/v1/decide', '/v1/events', '/v1/engage', '/v1/alias', '/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags/x']) {
        const res = await t.http.options(path).set({ Origin: page, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type, if-none-match' });
        expect(res.status, path).toBe(204);
        expect(res.headers['access-control-allow-origin']).toBe(page);
        expect(res.headers['access-control-allow-methods']).toContain('POST');
        expect(res.headers['access-control-allow-headers'].toLowerCase()).toContain('authorization');
        expect(res.headers['access-control-allow-headers'].toLowerCase()).toContain('if-none-match');
        expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
      }
    } finally {
      pool.query = query;
      pool.connect = connect;
    }
    expect(queries).toBe(0);
  });

  it('never opens the admin API', async () => {
    const pre = await t.http.options(`/v1/projects/${p.id}/flags`).set({ Origin: page, 'Access-Control-Request-Method': 'GET' });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const get = await t.http.get(`/v1/projects/${p.id}/flags`).set(t.admin).set('Origin', page);
    expect(get.status).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('lets the project choose its origins, on the fast path, express and OFREP', async () => {
    const any = await t.http.post('/v1/decide').set(p.bearer).set('Origin', 'https://elsewhere.test').send({ distinct_id: 'u1' });
    expect(any.status).toBe(200);
    expect(any.headers['access-control-allow-origin']).toBe('https://elsewhere.test');
    expect(any.headers['access-control-expose-headers']).toContain('ETag');

    const patched = await t.http.patch(`/v1/projects/${p.id}`).set(t.admin).send({ allowed_origins: [page] });
    expect(patched.status).toBe(200);
    expect(patched.body.allowed_origins).toEqual([page]);

    const requests = (origin: string) => [
      t.http.post('/v1/decide').set(p.bearer).set('Origin', origin).send({ distinct_id: 'u1' }),
      t.http.post('/v1/events').set(p.bearer).set('Origin', origin).send({ event: 'seen', distinct_id: 'u1' }),
      t.http.post('/v1/alias').set(p.bearer).set('Origin', origin).send({ distinct_id: 'u1', alias: 'anon-1' }),
      t.http.post('/ofrep/v1/evaluate/flags').set(p.bearer).set('Origin', origin).send({ context: { targetingKey: 'u1' } }),
      // a beacon: the token in a text/plain body
      t.http.post('/v1/events').set('Origin', origin).set('Content-Type', 'text/plain').send(JSON.stringify({ token: p.token, event: 'beacon', distinct_id: 'u1' })),
    ];
    for (const [i, res] of (await Promise.all(requests(page))).entries()) {
      expect(res.status, `request ${i}`).toBeLessThan(300);
      expect(res.headers['access-control-allow-origin']).toBe(page);
    }
    for (const [i, res] of (await Promise.all(requests('https://evil.test'))).entries()) {
      expect(res.status, `request ${i}`).toBe(403);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    // Servers send no Origin: untouched.
    expect((await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'u1' })).status).toBe(200);

    const bad = await t.http.patch(`/v1/projects/${p.id}`).set(t.admin).send({ allowed_origins: ['https://app.example.com/path'] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('allowed_origins');
    await t.http.patch(`/v1/projects/${p.id}`).set(t.admin).send({ allowed_origins: null }).expect(200);
  });

  it('lets a browser read an early error (a bad token)', async () => {
    const res = await t.http.post('/v1/decide').set('Authorization', 'Bearer sbp_unknown').set('Origin', page).send({ distinct_id: 'u1' });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe(page);
  });
});

describe('limits shared by replicas', () => {
  it('a second API process on the same Redis shares the per-token limit', async () => {
    const replica = composeAll(t.config);
    await replica.start();
    const second = supertest(replica.app);
    try {
      const shared = await t.newProject('shared-limit');
      // The counter is one: hits through either process count up one sequence.
      const counts: number[] = [];
      for (let i = 0; i < 20; i++) counts.push((await (i % 2 ? t : replica).stores.rateLimiter.hit('ingest', shared.id)) ?? -1);
      const restarts = counts.filter((n, i) => i > 0 && n <= counts[i - 1]).length;
      expect(restarts, JSON.stringify(counts)).toBeLessThanOrEqual(1); // one window may end meanwhile
      expect(counts.every((n) => n > 0)).toBe(true);

      // Over HTTP: the window used up through one process is used up for the other.
      let refused = false;
      for (let attempt = 0; attempt < 3 && !refused; attempt++) {
        await new Promise((r) => setTimeout(r, 1100)); // a fresh window
        const started = Date.now();
        for (let i = 0; i < 11; i++) await t.http.post('/v1/events').set(shared.bearer).send({ event: 'e', distinct_id: `u${i}` });
        const res = await second.post('/v1/events').set(shared.bearer).send({ event: 'e', distinct_id: 'other' });
        if (Date.now() - started < 900) {
          expect(res.status).toBe(429);
          refused = true;
        }
      }
      expect(refused, 'the machine was too slow to fit 12 requests in one 1 s window').toBe(true);
    } finally {
      await replica.close();
    }
  });
});
