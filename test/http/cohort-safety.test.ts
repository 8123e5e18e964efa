/**
 * Cohort definitions cannot stall the database (PRODUCT.md 12, issue 14): catastrophic
 * regexes and oversized definitions are refused when saved, and a query that runs past
 * COHORT_QUERY_TIMEOUT_MS fails with code `timeout` while the previous version stays live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let base: string;
beforeAll(async () => {
  t = await createTestContext({ COHORT_QUERY_TIMEOUT_MS: '300' });
  const p = await t.newProject('safety');
  base = `/v1/projects/${p.id}/cohorts`;
});
afterAll(async () => {
  await t.cleanup();
});

const regexCohort = (key: string, value: string) => ({ key, name: key, kind: 'dynamic', definition: { type: 'AND', values: [{ type: 'person', key: 'email', operator: 'regex', value }] } });

describe('regexes', () => {
  it.each(['(a+)+$', '^(\\d+)*$', '(x*)*y', '([a-z]+)+@'])('refuses the catastrophic %s naming the field', async (pattern) => {
    const res = await t.http.post(base).set(t.admin).send(regexCohort('bad', pattern));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('definition.values[0].value');
    expect(JSON.stringify(res.body)).toMatch(/backtrack/);
  });

  it('accepts ordinary patterns, also in event filters', async () => {
    expect((await t.http.post(base).set(t.admin).send(regexCohort('mail', '^[a-z0-9._-]+@example\\.com$'))).status).toBe(201);
    const behavioral = { key: 'paths', name: 'paths', kind: 'dynamic', definition: { type: 'behavioral', event: 'view', where: [{ key: 'path', operator: 'regex', value: '(a|b)*c' }] } };
    expect((await t.http.post(base).set(t.admin).send(behavioral)).status).toBe(201);
    const nested = { ...behavioral, key: 'paths2', definition: { ...behavioral.definition, where: [{ key: 'path', operator: 'not_regex', value: '(.*a){12}' }] } };
    const refused = await t.http.post(base).set(t.admin).send(nested);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('definition.where[0].value');
  });

  it('refuses an over-long pattern', async () => {
    const res = await t.http.post(base).set(t.admin).send(regexCohort('long', 'a'.repeat(1001)));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('definition.values[0].value');
  });
});

describe('size', () => {
  it('refuses a definition over 64 KB', async () => {
    const group = (g: number) => ({ type: 'OR', values: Array.from({ length: 50 }, (_, i) => ({ type: 'person', key: `k${g}${i}`, operator: 'in', value: Array.from({ length: 55 }, (_, j) => `value-${i}-${j}`) })) });
    const res = await t.http.post(base).set(t.admin).send({ key: 'huge', name: 'huge', kind: 'dynamic', definition: { type: 'OR', values: [group(1), group(2)] } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/65536 bytes/);
  });
});

describe('statement timeout', () => {
  it('a query past COHORT_QUERY_TIMEOUT_MS fails with code timeout and keeps the live version', async () => {
    const body = { key: 'fr', name: 'fr', kind: 'dynamic', definition: { type: 'person', key: 'country', operator: 'eq', value: 'France' } };
    expect((await t.http.post(base).set(t.admin).send(body)).status).toBe(201);
    const first = await t.http.post(`${base}/fr/refresh`).set(t.admin);
    expect(first.body.outcome).toMatchObject({ status: 'ok', version: 1 });

    // Another session holds the persons table: the cohort query waits past its timeout.
    const blocker = await t.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE persons IN ACCESS EXCLUSIVE MODE');
      const res = await t.http.post(`${base}/fr/refresh`).set(t.admin);
      expect(res.body.outcome).toMatchObject({ status: 'failed', code: 'timeout' });
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    const cohort = await t.http.get(`${base}/fr`).set(t.admin);
    expect(cohort.body).toMatchObject({ state: 'active', version: 1 });
    const history = await t.http.get(`${base}/fr/calculations`).set(t.admin);
    expect(history.body.data[0]).toMatchObject({ error_code: 'timeout' });
  });
});
