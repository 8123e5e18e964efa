import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  await t.cleanup();
});

describe('projects and admin keys', () => {
  it('creates a project and answers with id, name, tier and token', async () => {
    const res = await t.http.post('/v1/projects').set(t.admin).send({ name: 'Shop', tier: 'growth' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Shop', tier: 'growth' });
    expect(res.body.id).toBeTypeOf('number');
    expect(res.body.token).toMatch(/^sbp_/);
    const got = await t.http.get(`/v1/projects/${res.body.id}`).set(t.admin);
    expect(got.body.name).toBe('Shop');
    const patched = await t.http.patch(`/v1/projects/${res.body.id}`).set(t.admin).send({ tier: 'enterprise' });
    expect(patched.body.tier).toBe('enterprise');
    const list = await t.http.get('/v1/projects?limit=500').set(t.admin);
    expect(list.body.data.map((p: { id: number }) => p.id)).toContain(res.body.id);
  });

  it('names the bad field', async () => {
    const res = await t.http.post('/v1/projects').set(t.admin).send({ name: 'x', tier: 'platinum' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(/^body\.tier/);
    const malformed = await t.http.post('/v1/projects').set(t.admin).set('Content-Type', 'application/json').send('{"name":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/malformed JSON/);
  });

  it('refuses missing, wrong and revoked keys', async () => {
    expect((await t.http.get('/v1/projects')).status).toBe(401);
    const wrong = await t.http.get('/v1/projects').set({ Authorization: 'Bearer sba_nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toEqual({ code: 'unauthorized', message: 'invalid or revoked admin key' });

    const p = await t.newProject('A');
    const created = await t.http.post(`/v1/projects/${p.id}/keys`).set(t.admin).send({ name: 'ci' });
    expect(created.status).toBe(201);
    const scoped = { Authorization: `Bearer ${created.body.key}` };
    expect((await t.http.get(`/v1/projects/${p.id}`).set(scoped)).status).toBe(200);
    // the secret is never shown again
    const keys = await t.http.get(`/v1/projects/${p.id}/keys`).set(t.admin);
    expect(JSON.stringify(keys.body)).not.toContain(created.body.key);
    const revoked = await t.http.delete(`/v1/projects/${p.id}/keys/${created.body.id}`).set(t.admin);
    expect(revoked.body.revoked_at).not.toBeNull();
    expect((await t.http.get(`/v1/projects/${p.id}`).set(scoped)).status).toBe(401);
  });

  it('keeps a key of project A out of project B', async () => {
    const a = await t.newProject('A');
    const b = await t.newProject('B');
    const key = (await t.http.post(`/v1/projects/${a.id}/keys`).set(t.admin).send({ name: 'a-only' })).body.key;
    const asA = { Authorization: `Bearer ${key}` };
    expect((await t.http.get(`/v1/projects/${a.id}`).set(asA)).status).toBe(200);
    const other = await t.http.get(`/v1/projects/${b.id}`).set(asA);
    expect(other.status).toBe(404);
    expect((await t.http.patch(`/v1/projects/${b.id}`).set(asA).send({ name: 'pwned' })).status).toBe(404);
    expect((await t.http.post(`/v1/projects/${b.id}/keys`).set(asA).send({ name: 'x' })).status).toBe(404);
    // a scoped key cannot widen itself
    expect((await t.http.post(`/v1/projects/${a.id}/keys`).set(asA).send({ name: 'x', project_ids: [a.id, b.id] })).status).toBe(404);
    expect((await t.http.post('/v1/projects').set(asA).send({ name: 'new' })).status).toBe(403);
    const list = await t.http.get('/v1/projects').set(asA);
    expect(list.body.data.map((p: { id: number }) => p.id)).toEqual([a.id]);
  });

  it('creates INIT_ADMIN_KEY idempotently', async () => {
    await t.projects.ensureInitKey(t.adminKey);
    expect((await t.http.get('/v1/projects').set(t.admin)).status).toBe(200);
  });
});
