/**
 * The request classes that answered 500 before the edge checked them (issue 14): NUL bytes in
 * path parameters, queries and bodies; malformed percent-encoding; numbers past PostgreSQL's
 * bigint; over-deep JSON; `__proto__` keys. Each gets a 4xx naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };

beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('hostile');
});
afterAll(async () => {
  await t.cleanup();
});

const deep = (n: number) => JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n));

describe('hostile input', () => {
  it.each([
    ['GET', '/v1/projects/:p/persons/%00x', 400, 'path'],
    ['GET', '/v1/projects/:p/flags/%00', 400, 'path'],
    ['POST', '/v1/projects/:p/cohorts/%00/pause', 400, 'path'],
    ['GET', '/v1/projects/:p/audit?entity_key=%00', 400, 'query.entity_key'],
    ['GET', '/v1/projects/%E0%A4%A/cohorts', 400, 'path'],
    ['GET', '/v1/projects/:p/persons/%ZZ', 400, 'path'],
    ['GET', '/v1/projects/:p/persons/%ED%A0%80', 400, 'path'],
    ['DELETE', '/v1/projects/:p/keys/99999999999999999999', 404, null],
    ['GET', '/v1/projects/:p/audit?cursor=1e23', 400, 'query.cursor'],
    ['GET', '/v1/projects/:p/audit?cursor=99999999999999999999', 400, 'query.cursor'],
    ['GET', '/v1/projects/:p/flags?cursor=99999999999999999999', 400, 'query.cursor'],
    ['GET', '/v1/projects/99999999999999999999/flags', 404, null],
    ['GET', `/v1/projects/:p/flags?x=${'y'.repeat(9_000)}`, 414, null],
  ])('%s %s → %i', async (method, path, status, field) => {
    const url = path.replace(':p', String(p.id));
    const res = await t.http[method.toLowerCase() as 'get'](url).set(t.admin);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    if (field) expect(res.body.error.message.startsWith(`${field}:`), res.body.error.message).toBe(true);
  });

  it('OFREP with a malformed key is a 400, not a 500', async () => {
    const res = await t.http.post('/ofrep/v1/evaluate/flags/%ZZ').set(p.bearer).send({ context: { targetingKey: 'u' } });
    expect(res.status).toBe(400);
  });

  it.each([
    ['a NUL in a flag', `/v1/projects/:p/flags`, { key: 'nul', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'r', condition: { '==': [{ var: 'x' }, 'a\u0000b'] }, serve: { variant: 'on' } }] }, 'rules[0].condition'],
    ['a lone surrogate in a cohort name', `/v1/projects/:p/cohorts`, { key: 'sur', name: 'bad \ud800', kind: 'static' }, 'name'],
    ['a __proto__ key', `/v1/projects/:p/flags`, JSON.parse('{"key":"proto","enabled":true,"__proto__":{"polluted":true}}'), '__proto__'],
    ['JSON nested 100 levels', `/v1/projects/:p/cohorts`, { key: 'deep', name: 'deep', kind: 'dynamic', definition: deep(100) }, 'definition'],
  ])('%s is a 400 naming the field', async (_name, path, body, field) => {
    const res = await t.http.post(path.replace(':p', String(p.id))).set(t.admin).set('Content-Type', 'application/json').send(JSON.stringify(body));
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.message.startsWith(field), res.body.error.message).toBe(true);
  });

  it('the handshake refuses hostile bodies on the fast path and through express alike', async () => {
    for (const app of [t.app, t.expressApp]) {
      const { default: supertest } = await import('supertest');
      const nul = await supertest(app).post('/v1/decide').set(p.bearer).send({ distinct_id: 'u', context: { k: 'a\u0000' } });
      expect(nul.status).toBe(400);
      expect(nul.body.error.message).toMatch(/^body\.context\.k: /);
      const deepBody = await supertest(app).post('/v1/decide').set(p.bearer).send({ distinct_id: 'u', context: deep(80) });
      expect(deepBody.status).toBe(400);
    }
  });

  it('one hostile event of a batch costs its valid neighbours nothing', async () => {
    const res = await t.http.post('/v1/events').set(p.bearer).set('Content-Type', 'application/json').send(JSON.stringify({
      events: [
        { event: 'ok', distinct_id: 'h-1' },
        { event: 'proto', distinct_id: 'h-2', properties: JSON.parse('{"__proto__":{"x":1}}') },
        { event: 'deep', distinct_id: 'h-3', properties: deep(40) },
        { event: 'nul\u0000', distinct_id: 'h-4' },
        { event: 'ok', distinct_id: 'h-5' },
      ],
    }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stored: 2, rejected: 3 });
    expect(res.body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 3]);
  });

  it('a static upload with a NUL row reports the row, not a 500', async () => {
    await t.http.post(`/v1/projects/${p.id}/cohorts`).set(t.admin).send({ key: 'pins', name: 'Pins', kind: 'static' }).expect(201);
    const res = await t.http.post(`/v1/projects/${p.id}/cohorts/pins/members`).set(t.admin).set('Content-Type', 'text/csv').send('distinct_id\nok-1\nbad\u0000id\n');
    expect(res.status).toBe(422);
    expect(res.body.error.details.invalid).toEqual([expect.objectContaining({ line: 3, reason: expect.stringMatching(/NUL/) })]);
  });
});
