import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let project: { id: number };
beforeAll(async () => {
  t = await createTestContext();
  project = await t.newProject('defs');
});
afterAll(async () => {
  await t.cleanup();
});

const flag = (over: Record<string, unknown> = {}) => ({
  key: 'new-checkout',
  enabled: true,
  variants: { control: { value: 'control' }, treatment: { value: 'treatment', payload: { color: 'blue' } } },
  default_variant: 'control',
  off_variant: 'control',
  rules: [{ id: 'half', rollout: 50, serve: { split: [{ variant: 'control', weight: 50 }, { variant: 'treatment', weight: 50 }] } }],
  ...over,
});

describe('flags, configs and surveys admin API', () => {
  it('creates, reads, lists, replaces with versions, kills and deletes a flag', async () => {
    const base = `/v1/projects/${project.id}/flags`;
    const created = await t.http.post(base).set(t.admin).send(flag());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'new-checkout', version: 1, default_variant: 'control' });
    expect(created.headers.etag).toBe('"1"');

    expect((await t.http.post(base).set(t.admin).send(flag())).status).toBe(409);
    expect((await t.http.get(`${base}/new-checkout`).set(t.admin)).body.version).toBe(1);
    expect((await t.http.get(base).set(t.admin)).body.data.map((f: { key: string }) => f.key)).toEqual(['new-checkout']);

    const replaced = await t.http.put(`${base}/new-checkout`).set(t.admin).set('If-Match', '"1"').send(flag({ default_variant: 'treatment' }));
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ version: 2, default_variant: 'treatment' });

    // a stale version answers 409 with the current one
    const stale = await t.http.put(`${base}/new-checkout`).set(t.admin).send({ ...flag(), version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details).toEqual({ current_version: 2 });
    const missing = await t.http.put(`${base}/new-checkout`).set(t.admin).send(flag());
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/^version: required/);

    const killed = await t.http.post(`${base}/new-checkout/kill`).set(t.admin);
    expect(killed.body).toMatchObject({ version: 3, enabled: false });

    expect((await t.http.delete(`${base}/new-checkout`).set(t.admin)).status).toBe(204);
    expect((await t.http.get(`${base}/new-checkout`).set(t.admin)).status).toBe(404);

    const audit = await t.http.get(`/v1/projects/${project.id}/audit?entity_key=new-checkout`).set(t.admin);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(['delete', 'kill', 'update', 'create']);
    const update = audit.body.data[2];
    expect(update.actor).toMatch(/^admin_key:/);
    expect(update.before.default_variant).toBe('control');
    expect(update.after.default_variant).toBe('treatment');
  });

  it('names the path of every invalid field in the definition', async () => {
    const base = `/v1/projects/${project.id}/flags`;
    const badWeight = flag({
      key: 'bad',
      rules: [
        { id: 'a', serve: { variant: 'control' } },
        { id: 'b', serve: { variant: 'control' } },
        { id: 'c', serve: { split: [{ variant: 'control', weight: 50 }, { variant: 'treatment', weight: 40 }] } },
      ],
    });
    const res = await t.http.post(base).set(t.admin).send(badWeight);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error.details.issues)).toMatch(/rules\[2\]\.serve\.split/);

    const unknownVariant = await t.http.post(base).set(t.admin).send(flag({ key: 'bad2', default_variant: 'nope' }));
    expect(unknownVariant.status).toBe(400);
    expect(unknownVariant.body.error.message).toMatch(/default_variant/);

    const unknownOp = await t.http.post(base).set(t.admin).send(flag({ key: 'bad3', rules: [{ id: 'x', condition: { frobnicate: [1] }, serve: { variant: 'control' } }] }));
    expect(unknownOp.status).toBe(400);
    expect(unknownOp.body.error.message).toMatch(/rules\[0\]\.condition/);

    const badKey = await t.http.post(base).set(t.admin).send(flag({ key: '../etc' }));
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.message).toMatch(/^key/);
  });

  it('checks config values against their JSON Schema and accepts flagd-format flags and surveys', async () => {
    const configs = `/v1/projects/${project.id}/configs`;
    const schema = { type: 'object', properties: { limit: { type: 'integer', minimum: 1 } }, required: ['limit'] };
    const ok = await t.http.post(configs).set(t.admin).send({ key: 'cart', schema, default: { limit: 10 }, rules: [{ id: 'vip', serve: { value: { limit: 50 } } }] });
    expect(ok.status).toBe(201);
    const bad = await t.http.post(configs).set(t.admin).send({ key: 'cart2', schema, default: { limit: 10 }, rules: [{ id: 'vip', serve: { value: { limit: 0 } } }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/rules\[0\]\.serve\.value/);

    const flagd = await t.http.post(`/v1/projects/${project.id}/flags`).set(t.admin).send({
      key: 'color', state: 'ENABLED', variants: { red: 'red', blue: 'blue' }, defaultVariant: 'red',
      targeting: { if: [{ starts_with: [{ var: 'email' }, 'admin'] }, 'blue', null] },
    });
    expect(flagd.status).toBe(201);

    const survey = await t.http.post(`/v1/projects/${project.id}/surveys`).set(t.admin).send({
      key: 'nps', name: 'NPS', enabled: true, questions: [{ id: 'q1', type: 'rating', question: 'How likely?', scale: 10 }],
    });
    expect(survey.status).toBe(201);
    expect(survey.body.version).toBe(1);
  });

  it('keeps projects apart', async () => {
    const other = await t.newProject('other');
    const key = (await t.http.post(`/v1/projects/${other.id}/keys`).set(t.admin).send({ name: 'o' })).body.key;
    const asOther = { Authorization: `Bearer ${key}` };
    expect((await t.http.get(`/v1/projects/${project.id}/flags`).set(asOther)).status).toBe(404);
    expect((await t.http.post(`/v1/projects/${project.id}/flags`).set(asOther).send(flag({ key: 'x' }))).status).toBe(404);
    expect((await t.http.get(`/v1/projects/${other.id}/configs`).set(asOther)).body.data).toEqual([]);
    expect((await t.http.get(`/v1/projects/${project.id}/audit`).set(asOther)).status).toBe(404);
  });
});
