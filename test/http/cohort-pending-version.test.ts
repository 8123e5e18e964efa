/**
 * The cohort read carries `pending_version` (PRODUCT.md 6.3 bookkeeping; issue 12, item 6):
 * null when no refresh is computing a version, the reserved version while one is. Real
 * PostgreSQL and Redis; the version is reserved with the refresher's own run store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number };
let base: string;

beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('pending');
  base = `/v1/projects/${p.id}/cohorts`;
});
afterAll(async () => {
  await t.cleanup();
});

async function cohortId(key: string): Promise<number> {
  const { rows } = await t.pool.query<{ id: number }>('SELECT id FROM cohorts WHERE project_id = $1 AND key = $2', [p.id, key]);
  return rows[0].id;
}

const listed = async (key: string) => (await t.http.get(base).set(t.admin)).body.data.find((c: { key: string }) => c.key === key);

describe('cohort pending_version', () => {
  it('is null when no refresh runs, the reserved version while one does, and null again after', async () => {
    const created = await t.http.post(base).set(t.admin).send({ key: 'germans', name: 'Germans', kind: 'dynamic', definition: { type: 'person', key: 'country', operator: 'eq', value: 'Germany' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toHaveProperty('pending_version', null);
    expect((await t.http.get(`${base}/germans`).set(t.admin)).body).toHaveProperty('pending_version', null);
    expect(await listed('germans')).toHaveProperty('pending_version', null);

    // A refresh in progress: the next version is reserved.
    const { version } = await t.cohorts.stores.runs.startRun(p.id, await cohortId('germans'), 'test-worker');
    expect(version).toBe(1);
    expect((await t.http.get(`${base}/germans`).set(t.admin)).body).toMatchObject({ version: 0, pending_version: 1 });
    expect(await listed('germans')).toMatchObject({ version: 0, pending_version: 1 });

    // A complete run (the abandoned reservation is skipped) clears it.
    const refreshed = await t.http.post(`${base}/germans/refresh`).set(t.admin);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.cohort).toMatchObject({ version: 2, pending_version: null });
    expect((await t.http.get(`${base}/germans`).set(t.admin)).body).toMatchObject({ version: 2, pending_version: null });
  });
});
