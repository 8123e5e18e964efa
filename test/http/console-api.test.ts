/**
 * The endpoints the console adds (docs/console.md): GET /v1/me, the who-flips preview, the
 * static-upload dry run, a person's last events and the audit `actor` filter; against the
 * real service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };

beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('console api');
  const people = { de1: 'DE', de2: 'DE', fr1: 'FR', us1: 'US' };
  const events = Object.keys(people).flatMap((id, i) => [
    { event: 'visit', distinct_id: id, time: 1_700_000_000_000 + i * 1000, $insert_id: `${id}-v` },
    { event: 'purchase', distinct_id: id, time: 1_700_000_100_000 + i * 1000, $insert_id: `${id}-p`, properties: { n: i } },
  ]);
  expect((await t.http.post('/v1/events').set(p.bearer).send({ events })).body.stored).toBe(8);
  for (const [id, country] of Object.entries(people)) await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: id, $set: { country } }).expect(200);
  await t.http.post(`/v1/projects/${p.id}/flags`).set(t.admin).send({
    key: 'layout',
    enabled: true,
    variants: { wide: { value: 'wide' }, compact: { value: 'compact' } },
    default_variant: 'compact',
    rules: [{ id: 'de', condition: { '==': [{ var: 'country' }, 'DE'] }, serve: { variant: 'wide' } }],
  }).expect(201);
});

afterAll(async () => {
  await t.cleanup();
});

describe('GET /v1/me', () => {
  it('says who the key is and what it may do', async () => {
    const r = await t.http.get('/v1/me').set(t.admin).expect(200);
    expect(r.body).toMatchObject({ project_ids: null, scopes: ['read', 'write'], can: { write: true, create_projects: true } });
    expect(r.body.key.prefix).toMatch(/^sba_/);
    const scoped = await t.http.post(`/v1/projects/${p.id}/keys`).set(t.admin).send({ name: 'scoped' }).expect(201);
    const me = await t.http.get('/v1/me').set('Authorization', `Bearer ${scoped.body.key}`).expect(200);
    expect(me.body).toMatchObject({ key: { name: 'scoped' }, project_ids: [p.id], can: { write: true, create_projects: false } });
    expect((await t.http.get('/v1/me')).status).toBe(401);
  });
});

describe('POST /v1/projects/:project/{flags,configs}/:key/preview', () => {
  const base = () => `/v1/projects/${p.id}/flags/layout/preview`;

  it('counts the persons whose variant would change, with examples, and saves nothing', async () => {
    const r = await t.http.post(base()).set(t.admin).send({ enabled: true, variants: { wide: { value: 'wide' }, compact: { value: 'compact' } }, default_variant: 'wide', rules: [] }).expect(200);
    expect(r.body).toMatchObject({ key: 'layout', kind: 'flag', current_version: 1, persons_total: 4, sampled: 4, evaluated: 4, changed: 2, truncated: false });
    expect(r.body.transitions).toEqual([{ from: 'compact', to: 'wide', count: 2 }]);
    expect(r.body.examples.map((e: { distinct_id: string }) => e.distinct_id).sort()).toEqual(['fr1', 'us1']);
    expect(r.body.examples[0].before).toMatchObject({ variant: 'compact', reason: 'DEFAULT' });
    expect(r.body.examples[0].after).toMatchObject({ variant: 'wide', reason: 'STATIC' });
    expect((await t.http.get(`/v1/projects/${p.id}/flags/layout`).set(t.admin)).body.version).toBe(1);
  });

  it('honours sample and examples, and treats a new key as "not defined yet"', async () => {
    const r = await t.http.post(`${base()}?sample=2&examples=1`).set(t.admin).send({ enabled: false, variants: { a: { value: 1 } }, default_variant: 'a' }).expect(200);
    expect(r.body).toMatchObject({ sampled: 2, evaluated: 2, changed: 2 });
    expect(r.body.examples).toHaveLength(1);
    const fresh = await t.http.post(`/v1/projects/${p.id}/flags/brand-new/preview`).set(t.admin).send({ enabled: true }).expect(200);
    expect(fresh.body).toMatchObject({ current_version: null, changed: 4 });
    expect(fresh.body.examples[0].before).toBeNull();
  });

  it('uses current cohort membership', async () => {
    await t.http.post(`/v1/projects/${p.id}/cohorts`).set(t.admin).send({ key: 'pins', name: 'pins', kind: 'static' }).expect(201);
    await t.http.post(`/v1/projects/${p.id}/cohorts/pins/members`).set(t.admin).send({ distinct_ids: ['us1'] }).expect(200);
    const r = await t.http.post(base()).set(t.admin).send({
      enabled: true, variants: { wide: { value: 'wide' }, compact: { value: 'compact' } }, default_variant: 'compact',
      rules: [{ id: 'pinned', cohorts: { all: ['pins'] }, serve: { variant: 'wide' } }, { id: 'de', condition: { '==': [{ var: 'country' }, 'DE'] }, serve: { variant: 'wide' } }],
    }).expect(200);
    expect(r.body.changed).toBe(1);
    expect(r.body.examples[0]).toMatchObject({ distinct_id: 'us1', after: { variant: 'wide', rule_id: 'pinned' } });
  });

  it('previews configs by value', async () => {
    await t.http.post(`/v1/projects/${p.id}/configs`).set(t.admin).send({ key: 'price', schema: { type: 'number' }, default: 10 }).expect(201);
    const r = await t.http.post(`/v1/projects/${p.id}/configs/price/preview`).set(t.admin).send({ schema: { type: 'number' }, default: 10, rules: [{ id: 'fr', condition: { '==': [{ var: 'country' }, 'FR'] }, serve: { value: 12 } }] }).expect(200);
    expect(r.body).toMatchObject({ kind: 'config', changed: 1 });
    expect(r.body.examples[0]).toMatchObject({ distinct_id: 'fr1', before: { value: 10 }, after: { value: 12, rule_id: 'fr' } });
  });

  it('answers 400 naming the field, never 500', async () => {
    const bad = await t.http.post(base()).set(t.admin).send({ enabled: true, rules: [{ id: 'x', condition: { bogus: [] }, serve: { variant: 'on' } }] }).expect(400);
    expect(bad.body.error.message).toMatch(/^rules\[0\]\.condition/);
    expect(bad.body.error.details.issues[0].path).toBe('rules[0].condition');
    expect((await t.http.post(`${base()}?sample=0`).set(t.admin).send({ enabled: true })).body.error.message).toMatch(/^query\.sample/);
    expect((await t.http.post(`${base()}?examples=x`).set(t.admin).send({ enabled: true })).body.error.message).toMatch(/^query\.examples/);
    expect((await t.http.post(base()).set(t.admin).send([1])).body.error.message).toMatch(/^body/);
    expect((await t.http.post(base()).set(t.admin).send({ key: 'other', enabled: true })).body.error.message).toMatch(/^key/);
    expect((await t.http.post(base()).set(t.admin).set('Content-Type', 'application/json').send('{oops')).status).toBe(400);
    expect((await t.http.post(`/v1/projects/${p.id}/surveys/s/preview`).set(t.admin).send({})).status).toBe(404);
    expect((await t.http.post(base()).send({ enabled: true })).status).toBe(401);
  });
});

describe('POST /v1/projects/:project/cohorts/:key/members/preview', () => {
  const base = () => `/v1/projects/${p.id}/cohorts/pins/members/preview`;

  it('reports an add from CSV without writing, invalid rows with their line', async () => {
    const csv = 'distinct_id\nus1\nde1\nghost-1\nnull\n';
    const r = await t.http.post(base()).set(t.admin).set('Content-Type', 'text/csv').send(csv).expect(200);
    expect(r.body).toMatchObject({ dry_run: true, mode: 'add', ids: 3, added: 2, already_present: 1, not_yet_seen: 1, invalid_count: 1, total: 3, would_refuse: true, limit: 100000 });
    expect(r.body.invalid).toEqual([{ line: 5, value: 'null', reason: expect.stringMatching(/placeholder/) }]);
    expect((await t.http.get(`/v1/projects/${p.id}/cohorts/pins`).set(t.admin)).body.member_count).toBe(1);
  });

  it('reports replace and remove from JSON', async () => {
    const rep = await t.http.post(`${base()}?mode=replace`).set(t.admin).send({ distinct_ids: ['de1', 'de2'] }).expect(200);
    expect(rep.body).toMatchObject({ mode: 'replace', added: 2, already_present: 0, removed: 1, total: 2, would_refuse: false });
    const rem = await t.http.post(`${base()}?mode=remove`).set(t.admin).send({ distinct_ids: ['us1', 'nobody'] }).expect(200);
    expect(rem.body).toMatchObject({ mode: 'remove', removed: 1, not_present: 1, total: 0 });
  });

  it('refuses bad input with the right status', async () => {
    expect((await t.http.post(`${base()}?mode=merge`).set(t.admin).send({ distinct_ids: [] })).body.error.message).toMatch(/^query\.mode/);
    const unreadable = await t.http.post(base()).set(t.admin).set('Content-Type', 'text/csv').send('id\nx\n').expect(400);
    expect(unreadable.body.error.details).toEqual({ line: 1 });
    expect((await t.http.post(base()).set(t.admin).send({ ids: [] })).status).toBe(400);
    expect((await t.http.post(`/v1/projects/${p.id}/cohorts/nope/members/preview`).set(t.admin).send({ distinct_ids: ['a'] })).status).toBe(404);
    await t.http.post(`/v1/projects/${p.id}/cohorts`).set(t.admin).send({ key: 'dyn', name: 'dyn', kind: 'dynamic', definition: { type: 'person', key: 'country', operator: 'is_set' } }).expect(201);
    expect((await t.http.post(`/v1/projects/${p.id}/cohorts/dyn/members/preview`).set(t.admin).send({ distinct_ids: ['a'] })).status).toBe(409);
  });
});

describe('GET /v1/projects/:project/persons/:distinct_id/events', () => {
  it('pages through the person\'s events, newest first', async () => {
    const first = await t.http.get(`/v1/projects/${p.id}/persons/de1/events?limit=1`).set(t.admin).expect(200);
    expect(first.body.data).toEqual([{ id: expect.any(Number), event: 'purchase', distinct_id: 'de1', time: new Date(1_700_000_100_000).toISOString(), properties: { n: 0 } }]);
    const second = await t.http.get(`/v1/projects/${p.id}/persons/de1/events?limit=1&cursor=${first.body.next_cursor}`).set(t.admin).expect(200);
    expect(second.body.data.map((e: { event: string }) => e.event)).toEqual(['visit']);
    const third = await t.http.get(`/v1/projects/${p.id}/persons/de1/events?limit=1&cursor=${second.body.next_cursor}`).set(t.admin).expect(200);
    expect(third.body).toEqual({ data: [], next_cursor: null });
  });

  it('answers 404 for an unknown person and 400 for bad paging', async () => {
    expect((await t.http.get(`/v1/projects/${p.id}/persons/nobody/events`).set(t.admin)).status).toBe(404);
    expect((await t.http.get(`/v1/projects/${p.id}/persons/de1/events?limit=0`).set(t.admin)).body.error.message).toMatch(/^query\.limit/);
    expect((await t.http.get(`/v1/projects/${p.id}/persons/de1/events?cursor=abc`).set(t.admin)).body.error.message).toMatch(/^query\.cursor/);
  });
});

describe('GET /v1/projects/:project/audit?actor=', () => {
  it('filters by who made the change', async () => {
    const all = await t.http.get(`/v1/projects/${p.id}/audit?limit=500`).set(t.admin).expect(200);
    const actors = [...new Set(all.body.data.map((e: { actor: string }) => e.actor))] as string[];
    expect(actors.length).toBeGreaterThan(1);
    const one = await t.http.get(`/v1/projects/${p.id}/audit?actor=${encodeURIComponent(actors[0])}`).set(t.admin).expect(200);
    expect(one.body.data.length).toBeGreaterThan(0);
    expect(one.body.data.every((e: { actor: string }) => e.actor === actors[0])).toBe(true);
  });
});
