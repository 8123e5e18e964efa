import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * Members of every cohort (issue 21): pages of a 100,000-member dynamic cohort are complete,
 * disjoint, carry each member's distinct ids and never mix versions while a refresh swaps
 * them; the CSV export streams every member; the cohort read shows is_calculating and
 * created_by; the list searches by key or name and counts cohorts by state.
 */
const N = 100_000;
let t: TestContext;
let p: { id: number };
let base: string;

beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('members');
  base = `/v1/projects/${p.id}/cohorts`;
  await t.pool.query(
    `WITH made AS (
       INSERT INTO persons (project_id, bucketing_key, properties)
       SELECT $1, 'u' || g, jsonb_build_object('plan', CASE WHEN g <= $2 THEN 'pro' ELSE 'free' END) FROM generate_series(1, $2 + 500) g
       RETURNING id, bucketing_key)
     INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) SELECT $1, bucketing_key, id FROM made`,
    [p.id, N],
  );
  // u1 also holds a second distinct id (after an alias).
  await t.pool.query(`INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) SELECT $1, 'u1-phone', person_id FROM person_distinct_ids WHERE project_id = $1 AND distinct_id = 'u1'`, [p.id]);
  const created = await t.http.post(base).set(t.admin).send({ key: 'pro-users', name: 'Pro users', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'pro' } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const r = await t.http.post(`${base}/pro-users/refresh`).set(t.admin);
  expect(r.body.outcome).toMatchObject({ status: 'ok', member_count: N });
}, 120_000);
afterAll(async () => {
  await t.cleanup();
});

async function listAll(limit: number, onPage?: (n: number) => Promise<void>) {
  const seen: Array<{ person_id: number; distinct_ids: string[] }> = [];
  const versions = new Set<number>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: Response = await t.http.get(`${base}/pro-users/members`).query(cursor ? { limit, cursor } : { limit }).set(t.admin);
    if (res.status !== 200) return { status: res.status, body: res.body, seen, versions };
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    seen.push(...res.body.data);
    versions.add(res.body.version);
    cursor = res.body.next_cursor;
    await onPage?.(++pages);
  } while (cursor);
  return { status: 200, body: null, seen, versions };
}

describe('members of a dynamic cohort', { timeout: 300_000 }, () => {
  it('lists 100,000 members in pages that are complete and disjoint, with their distinct ids', async () => {
    const { status, seen, versions } = await listAll(1000);
    expect(status).toBe(200);
    expect(versions.size).toBe(1);
    expect(seen).toHaveLength(N);
    expect(new Set(seen.map((m) => m.person_id)).size).toBe(N);
    const { rows } = await t.pool.query<{ id: string }>(`SELECT id FROM persons WHERE project_id = $1 AND properties @> '{"plan":"pro"}'`, [p.id]);
    const listed = new Set(seen.map((m) => String(m.person_id)));
    expect(rows.map((r) => String(r.id)).filter((id) => !listed.has(id))).toEqual([]); // small diff on failure
    const u1 = seen.find((m) => m.distinct_ids.includes('u1'))!;
    expect(u1.distinct_ids).toEqual(['u1', 'u1-phone']);
    for (const m of seen.slice(0, 50)) expect(m.distinct_ids.length).toBeGreaterThan(0);
  }, 300_000);

  it('odd page sizes cut SSCAN batches without repeating or losing a member', async () => {
    const { seen } = await listAll(777);
    expect(seen).toHaveLength(N);
    expect(new Set(seen.map((m) => m.person_id)).size).toBe(N);
  }, 300_000);

  it('a cursor never continues in another version: a refresh mid-listing answers 409 version_gone, a new listing sees the new version whole', async () => {
    const before = await t.http.get(`${base}/pro-users`).set(t.admin);
    const first = await listAll(1000, async (page) => {
      if (page === 10) {
        const r = await t.http.post(`${base}/pro-users/refresh`).set(t.admin);
        expect(r.body.outcome.status).toBe('ok');
      }
    });
    expect(first.status).toBe(409);
    expect(first.body.error?.details ?? first.body.details ?? first.body).toMatchObject({ reason: 'version_gone', version: before.body.version });
    expect(first.versions).toEqual(new Set([before.body.version]));
    expect(first.seen).toHaveLength(10_000);
    const again = await listAll(1000);
    expect(again.status).toBe(200);
    expect(again.versions).toEqual(new Set([before.body.version + 1]));
    expect(new Set(again.seen.map((m) => m.person_id)).size).toBe(N);
  }, 300_000);

  it('streams the CSV export of the live version: one row per distinct id', async () => {
    const res = await t.http.get(`${base}/pro-users/members/export`).set(t.admin).buffer(true).parse((r, done) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => done(null, text));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = (res.body as string).trimEnd().split('\r\n');
    expect(lines[0]).toBe('distinct_id,person_id');
    expect(lines).toHaveLength(N + 2); // header + N members + u1's second id
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(N + 1);
    expect(lines).toContain(lines.find((l) => l.startsWith('u1-phone,'))!);
  }, 300_000);

  it('refuses a forged cursor (400) and a cohort never materialized (409)', async () => {
    const bad = await t.http.get(`${base}/pro-users/members`).query({ cursor: 'bm9wZQ' }).set(t.admin);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('query.cursor');
    await t.http.post(base).set(t.admin).send({ key: 'later', name: 'Later', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'x' } });
    const res = await t.http.get(`${base}/later/members`).set(t.admin);
    expect(res.status).toBe(409);
    expect(JSON.stringify(res.body)).toContain('not_materialized');
  });
});

describe('cohort read and list', { timeout: 60_000 }, () => {
  it('shows created_by (the admin key name) and is_calculating', async () => {
    const res = await t.http.get(`${base}/pro-users`).set(t.admin);
    expect(res.body.is_calculating).toBe(false);
    const { rows } = await t.pool.query<{ name: string }>('SELECT name FROM admin_keys ORDER BY id LIMIT 1');
    expect(res.body.created_by).toBe(rows[0].name);
    // A refresh in flight: a pending version under a live lease.
    await t.pool.query(`UPDATE cohorts SET pending_version = version + 1, lease_owner = 'w', lease_expires_at = now() + interval '1 minute' WHERE project_id = $1 AND key = 'pro-users'`, [p.id]);
    expect((await t.http.get(`${base}/pro-users`).set(t.admin)).body.is_calculating).toBe(true);
    await t.pool.query(`UPDATE cohorts SET pending_version = NULL, lease_owner = NULL, lease_expires_at = NULL WHERE project_id = $1 AND key = 'pro-users'`, [p.id]);
  });

  it('searches by key or name and counts cohorts by state', async () => {
    await t.http.post(base).set(t.admin).send({ key: 'vip_list', name: 'Big spenders', kind: 'static' });
    const byName = await t.http.get(base).query({ search: 'SPEND' }).set(t.admin);
    expect(byName.body.data.map((c: { key: string }) => c.key)).toEqual(['vip_list']);
    const byKey = await t.http.get(base).query({ search: 'pro-' }).set(t.admin);
    expect(byKey.body.data.map((c: { key: string }) => c.key)).toEqual(['pro-users']);
    const wild = await t.http.get(base).query({ search: '%' }).set(t.admin);
    expect(wild.body.data).toEqual([]); // LIKE wildcards are literal
    expect(byKey.body.counts).toEqual({ building: 2, active: 1, paused: 0, archived: 0 });
  });

  it('exports a static cohort from its uploaded ids', async () => {
    await t.http.post(`${base}/vip_list/members`).set(t.admin).send({ distinct_ids: ['u2', 'nobody,yet'] });
    const res = await t.http.get(`${base}/vip_list/members/export`).set(t.admin).buffer(true);
    expect(res.status).toBe(200);
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('distinct_id,person_id');
    expect(lines.slice(1).sort()).toEqual(['"nobody,yet",', expect.stringMatching(/^u2,\d+$/)].sort());
  });
});
