import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  await t.cleanup();
});

/** Inserts a dynamic cohort directly (the lifecycle does not care how it was created). */
async function cohort(projectId: number, key: string, state = 'building', definition: unknown = { type: 'person', key: 'plan', operator: 'eq', value: 'pro' }) {
  const { rows } = await t.pool.query<{ id: number }>(
    `INSERT INTO cohorts (project_id, key, name, kind, definition, state) VALUES ($1, $2, $2, 'dynamic', $3, $4) RETURNING id`,
    [projectId, key, JSON.stringify(definition), state],
  );
  return rows[0].id;
}

const defsVersion = async (projectId: number) =>
  Number((await t.pool.query('SELECT definitions_version FROM projects WHERE id = $1', [projectId])).rows[0].definitions_version);

describe('cohort lifecycle endpoints', () => {
  it('walks building -> active -> paused -> active -> archived -> building, refusing the rest with 409', async () => {
    const p = await t.newProject('life');
    const base = `/v1/projects/${p.id}/cohorts/beta`;
    await cohort(p.id, 'beta');

    const early = await t.http.post(`${base}/pause`).set(t.admin);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'conflict', details: { state: 'building', allowed: ['archive'] } });
    expect(early.body.error.message).toMatch(/building/);

    // the refresher's first success (system transition)
    await t.pool.query(`UPDATE cohorts SET state = 'active', version = 1, member_count = 3 WHERE project_id = $1 AND key = 'beta'`, [p.id]);

    const v0 = await defsVersion(p.id);
    const paused = await t.http.post(`${base}/pause`).set(t.admin);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ key: 'beta', state: 'paused', version: 1, member_count: 3, kind: 'dynamic' });
    expect(await defsVersion(p.id)).toBe(v0 + 1);

    const twice = await t.http.post(`${base}/pause`).set(t.admin);
    expect(twice.status).toBe(409);
    expect(twice.body.error.details).toEqual({ state: 'paused', allowed: ['resume', 'archive'] });
    expect((await t.http.post(`${base}/restore`).set(t.admin)).status).toBe(409);

    const resumed = await t.http.post(`${base}/resume`).set(t.admin);
    expect(resumed.status).toBe(200);
    expect(resumed.body.state).toBe('active');
    expect(resumed.body.next_run_at).not.toBeNull(); // refresh soon: membership was frozen

    const archived = await t.http.post(`${base}/archive`).set(t.admin);
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ state: 'archived', next_run_at: null });
    expect(archived.body.archived_at).not.toBeNull();
    const again = await t.http.post(`${base}/archive`).set(t.admin);
    expect(again.status).toBe(409);
    expect(again.body.error.details).toEqual({ state: 'archived', allowed: ['restore'] });
    expect((await t.http.post(`${base}/resume`).set(t.admin)).status).toBe(409);

    const restored = await t.http.post(`${base}/restore`).set(t.admin);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ state: 'building', archived_at: null });
    expect(restored.body.next_run_at).not.toBeNull();
    expect(await defsVersion(p.id)).toBe(v0 + 4);

    const audit = await t.pool.query(
      `SELECT action, before, after FROM audit_log WHERE project_id = $1 AND entity_kind = 'cohort' AND entity_key = 'beta' ORDER BY id`,
      [p.id],
    );
    expect(audit.rows.map((r) => [r.action, r.before.state, r.after.state])).toEqual([
      ['pause', 'active', 'paused'],
      ['resume', 'paused', 'active'],
      ['archive', 'active', 'archived'],
      ['restore', 'archived', 'building'],
    ]);
  });

  it('archives a referenced cohort and names who references it', async () => {
    const p = await t.newProject('refs');
    await cohort(p.id, 'base', 'active');
    await cohort(p.id, 'nested', 'active', { type: 'AND', values: [{ type: 'cohort', key: 'base', operator: 'in' }, { type: 'person', key: 'x', operator: 'is_set' }] });
    await cohort(p.id, 'gone', 'archived', { type: 'cohort', key: 'base', operator: 'not_in' });
    const res = await t.http.post(`/v1/projects/${p.id}/cohorts/base/archive`).set(t.admin);
    expect(res.status).toBe(200);
    expect(res.body.referenced_by).toEqual(['nested']);
  });

  it('answers 404 for unknown cohorts, other projects and unknown actions; 401 without a key', async () => {
    const a = await t.newProject('a');
    const b = await t.newProject('b');
    await cohort(a.id, 'mine', 'active');
    expect((await t.http.post(`/v1/projects/${a.id}/cohorts/nope/pause`).set(t.admin)).status).toBe(404);
    expect((await t.http.post(`/v1/projects/${b.id}/cohorts/mine/pause`).set(t.admin)).status).toBe(404);
    expect((await t.http.post(`/v1/projects/${a.id}/cohorts/mine/explode`).set(t.admin)).status).toBe(404);
    expect((await t.http.post(`/v1/projects/${a.id}/cohorts/mine/pause`)).status).toBe(401);
    const scoped = (await t.http.post(`/v1/projects/${b.id}/keys`).set(t.admin).send({ name: 'b-only' })).body.key;
    expect((await t.http.post(`/v1/projects/${a.id}/cohorts/mine/pause`).set({ Authorization: `Bearer ${scoped}` })).status).toBe(404);
    const state = await t.pool.query(`SELECT state FROM cohorts WHERE project_id = $1 AND key = 'mine'`, [a.id]);
    expect(state.rows[0].state).toBe('active');
  });

  it('lists calculations newest first, paginated', async () => {
    const p = await t.newProject('history');
    const id = await cohort(p.id, 'hist', 'active');
    for (let v = 1; v <= 3; v++) {
      await t.pool.query(
        `INSERT INTO cohort_calculations (project_id, cohort_id, version, worker, started_at, finished_at, duration_ms, member_count, error_code, error_message, stats)
         VALUES ($1, $2, $3, 'w1', now() - make_interval(mins => 10 - $3), now() - make_interval(mins => 10 - $3), 12, $4, $5, $6, '{"rows": 7}')`,
        [p.id, id, v, v === 2 ? null : v * 10, v === 2 ? 'timeout' : null, v === 2 ? 'statement timeout' : null],
      );
    }
    const first = await t.http.get(`/v1/projects/${p.id}/cohorts/hist/calculations?limit=2`).set(t.admin);
    expect(first.status).toBe(200);
    expect(first.body.data.map((c: { version: number }) => c.version)).toEqual([3, 2]);
    expect(first.body.data[1]).toMatchObject({ worker: 'w1', duration_ms: 12, member_count: null, error_code: 'timeout', error_message: 'statement timeout', stats: { rows: 7 } });
    expect(Object.keys(first.body.data[0]).sort()).toEqual(
      ['duration_ms', 'error_code', 'error_message', 'finished_at', 'id', 'member_count', 'started_at', 'stats', 'version', 'worker'],
    );
    expect(first.body.next_cursor).not.toBeNull();
    const second = await t.http.get(`/v1/projects/${p.id}/cohorts/hist/calculations?limit=2&cursor=${first.body.next_cursor}`).set(t.admin);
    expect(second.body.data.map((c: { version: number }) => c.version)).toEqual([1]);
    expect(second.body.next_cursor).toBeNull();
    expect((await t.http.get(`/v1/projects/${p.id}/cohorts/hist/calculations?limit=0`).set(t.admin)).status).toBe(400);
    expect((await t.http.get(`/v1/projects/${p.id}/cohorts/nope/calculations`).set(t.admin)).status).toBe(404);
  });
});
