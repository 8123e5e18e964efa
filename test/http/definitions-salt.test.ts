/**
 * `salt` and `hash_version` are stored with the definition (PRODUCT.md 5; issue 12, item 6):
 * a native flag, config or survey saved without them gets `salt: <key>` and the current
 * HASH_VERSION written into the saved document, so a later change of defaults cannot move a
 * bucket. flagd-format flags have no salt and stay as sent. Checked in PostgreSQL and through
 * every read (POST/PUT answer, GET, list, audit).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HASH_VERSION } from '../../src/core/index.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let project: { id: number };
beforeAll(async () => {
  t = await createTestContext();
  project = await t.newProject('salt');
});
afterAll(async () => {
  await t.cleanup();
});

const flag = (key: string, over: Record<string, unknown> = {}) => ({
  key,
  enabled: true,
  variants: { control: { value: 'control' }, treatment: { value: 'treatment' } },
  default_variant: 'control',
  off_variant: 'control',
  rules: [{ id: 'half', rollout: 50, serve: { split: [{ variant: 'control', weight: 50 }, { variant: 'treatment', weight: 50 }] } }],
  ...over,
});

/** The document as saved in PostgreSQL. */
async function stored(table: 'flags' | 'configs' | 'surveys', key: string): Promise<Record<string, unknown>> {
  const { rows } = await t.pool.query<{ definition: Record<string, unknown> }>(`SELECT definition FROM ${table} WHERE project_id = $1 AND key = $2`, [project.id, key]);
  return rows[0].definition;
}

describe('salt and hash_version are stored with the definition', () => {
  it('writes the defaults into a native flag on create, replace and kill, and every read shows them', async () => {
    expect(HASH_VERSION).toBe(1);
    const base = `/v1/projects/${project.id}/flags`;
    const created = await t.http.post(base).set(t.admin).send(flag('checkout'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ salt: 'checkout', hash_version: 1 });
    expect(await stored('flags', 'checkout')).toMatchObject({ salt: 'checkout', hash_version: 1 });
    expect((await t.http.get(`${base}/checkout`).set(t.admin)).body).toMatchObject({ salt: 'checkout', hash_version: 1 });
    const listed = (await t.http.get(base).set(t.admin)).body.data.find((f: { key: string }) => f.key === 'checkout');
    expect(listed).toMatchObject({ salt: 'checkout', hash_version: 1 });

    const replaced = await t.http.put(`${base}/checkout`).set(t.admin).set('If-Match', '"1"').send(flag('checkout', { default_variant: 'treatment' }));
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ version: 2, salt: 'checkout', hash_version: 1 });
    expect(await stored('flags', 'checkout')).toMatchObject({ salt: 'checkout', hash_version: 1, default_variant: 'treatment' });

    const killed = await t.http.post(`${base}/checkout/kill`).set(t.admin);
    expect(killed.body).toMatchObject({ version: 3, enabled: false, salt: 'checkout', hash_version: 1 });

    const audit = await t.http.get(`/v1/projects/${project.id}/audit?entity_key=checkout`).set(t.admin);
    const [kill, update, create] = audit.body.data;
    expect(create.after).toMatchObject({ salt: 'checkout', hash_version: 1 });
    expect(update.after).toMatchObject({ salt: 'checkout', hash_version: 1 });
    expect(kill.after).toMatchObject({ salt: 'checkout', hash_version: 1 });
  });

  it('keeps a salt and hash_version that are given', async () => {
    const res = await t.http.post(`/v1/projects/${project.id}/flags`).set(t.admin).send(flag('renamed', { salt: 'old-key', hash_version: 1 }));
    expect(res.status).toBe(201);
    expect(await stored('flags', 'renamed')).toMatchObject({ salt: 'old-key', hash_version: 1 });
  });

  it('still refuses an invalid salt or hash_version, naming the field', async () => {
    const nullSalt = await t.http.post(`/v1/projects/${project.id}/flags`).set(t.admin).send(flag('bad-salt', { salt: null }));
    expect(nullSalt.status).toBe(400);
    expect(nullSalt.body.error.message).toMatch(/^salt/);
    const badVersion = await t.http.post(`/v1/projects/${project.id}/flags`).set(t.admin).send(flag('bad-version', { hash_version: 99 }));
    expect(badVersion.status).toBe(400);
    expect(badVersion.body.error.message).toMatch(/^hash_version/);
  });

  it('writes them into configs and surveys', async () => {
    const schema = { type: 'object', properties: { limit: { type: 'integer', minimum: 1 } }, required: ['limit'] };
    const config = await t.http.post(`/v1/projects/${project.id}/configs`).set(t.admin).send({ key: 'cart', schema, default: { limit: 10 }, rules: [] });
    expect(config.status).toBe(201);
    expect(config.body).toMatchObject({ salt: 'cart', hash_version: 1 });
    expect(await stored('configs', 'cart')).toMatchObject({ salt: 'cart', hash_version: 1 });

    const survey = await t.http.post(`/v1/projects/${project.id}/surveys`).set(t.admin).send({
      key: 'nps', name: 'NPS', enabled: true, questions: [{ id: 'q1', type: 'rating', question: 'How likely?', scale: 10 }],
    });
    expect(survey.status).toBe(201);
    expect(await stored('surveys', 'nps')).toMatchObject({ salt: 'nps', hash_version: 1 });
    expect((await t.http.get(`/v1/projects/${project.id}/surveys/nps`).set(t.admin)).body).toMatchObject({ salt: 'nps', hash_version: 1 });
  });

  it('leaves flagd-format flags as they are (they have no salt)', async () => {
    const body = { key: 'color', state: 'ENABLED', variants: { red: 'red', blue: 'blue' }, defaultVariant: 'red' };
    const res = await t.http.post(`/v1/projects/${project.id}/flags`).set(t.admin).send(body);
    expect(res.status).toBe(201);
    const doc = await stored('flags', 'color');
    expect(doc).not.toHaveProperty('salt');
    expect(doc).not.toHaveProperty('hash_version');
    const killed = await t.http.post(`/v1/projects/${project.id}/flags/color/kill`).set(t.admin);
    expect(killed.body).toMatchObject({ state: 'DISABLED' });
    expect(killed.body).not.toHaveProperty('salt');
  });
});
