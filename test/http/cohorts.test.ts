import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberSetExists } from '../helpers/store-probe.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };
let base: string;

beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('cohorts');
  base = `/v1/projects/${p.id}/cohorts`;
});
afterAll(async () => {
  await t.cleanup();
});

const germans = { type: 'person', key: 'country', operator: 'eq', value: 'Germany' };

async function createCohort(body: Record<string, unknown>) {
  const res = await t.http.post(base).set(t.admin).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function cohortId(key: string): Promise<number> {
  const { rows } = await t.pool.query<{ id: number }>('SELECT id FROM cohorts WHERE project_id = $1 AND key = $2', [p.id, key]);
  return rows[0].id;
}

/** Membership as a handshake reads it: one Redis round trip. */
async function isMember(key: string, personId: number | null, distinctIds: string[] = []): Promise<boolean> {
  const [hit] = await t.cohorts.stores.membership.isMember(p.id, [await cohortId(key)], { personId, distinctIds });
  return hit;
}

async function personOf(distinctId: string): Promise<number | null> {
  const { rows } = await t.pool.query<{ person_id: number }>('SELECT person_id FROM person_distinct_ids WHERE project_id = $1 AND distinct_id = $2', [p.id, distinctId]);
  return rows[0]?.person_id ?? null;
}

async function eventually(check: () => Promise<boolean>, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('cohort definitions', () => {
  it('creates, reads, lists and edits with optimistic concurrency', async () => {
    const c = await createCohort({ key: 'de', name: 'Germans', kind: 'dynamic', definition: germans });
    expect(c).toMatchObject({ key: 'de', kind: 'dynamic', state: 'building', definition_version: 1, version: 0, member_count: 0, last_calculated_at: null, refresh_interval_s: null });
    expect(Object.keys(c).sort()).toEqual([
      'created_at', 'created_by', 'definition', 'definition_version', 'description', 'errors_calculating', 'is_calculating', 'key', 'kind', 'last_calculated_at', 'last_error_at',
      'last_error_code', 'last_error_message', 'member_count', 'name', 'pending_version', 'refresh_interval_s', 'state', 'updated_at', 'version',
    ]);
    expect((await t.http.get(`${base}/de`).set(t.admin)).body.name).toBe('Germans');
    expect((await t.http.post(base).set(t.admin).send({ key: 'de', name: 'again', kind: 'static' })).status).toBe(409);

    const renamed = await t.http.patch(`${base}/de`).set(t.admin).set('If-Match', '"1"').send({ name: 'Deutsch' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Deutsch', definition_version: 2 });
    const stale = await t.http.patch(`${base}/de`).set(t.admin).set('If-Match', '1').send({ name: 'late' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.details).toEqual({ definition_version: 2 });
    expect((await t.http.patch(`${base}/de`).set(t.admin).send({ description: 'x', definition_version: 1 })).status).toBe(409);
    const edited = await t.http.patch(`${base}/de`).set(t.admin).send({ definition: { ...germans, value: 'France' }, definition_version: 2 });
    expect(edited.body).toMatchObject({ definition_version: 3, definition: { value: 'France' } });

    const audit = await t.pool.query('SELECT action FROM audit_log WHERE project_id = $1 AND entity_kind = $2 ORDER BY id', [p.id, 'cohort']);
    expect(audit.rows.map((r) => r.action)).toEqual(['create', 'update', 'update']);
  });

  it('hides archived cohorts from lists unless asked, and paginates', async () => {
    for (const k of ['l1', 'l2', 'l3']) await createCohort({ key: k, name: k, kind: 'static' });
    await t.pool.query(`UPDATE cohorts SET state = 'archived' WHERE project_id = $1 AND key = 'l2'`, [p.id]);
    const keys = async (q: string) => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { data: Array<{ key: string }>; next_cursor: string | null } } = await t.http.get(`${base}?limit=2${q}${cursor ? `&cursor=${cursor}` : ''}`).set(t.admin);
        expect(res.status).toBe(200);
        out.push(...res.body.data.map((c) => c.key));
        cursor = res.body.next_cursor;
      } while (cursor);
      return out.filter((k) => k.startsWith('l'));
    };
    expect(await keys('')).toEqual(['l1', 'l3']);
    expect(await keys('&include_archived=true')).toEqual(['l1', 'l2', 'l3']);
    expect((await t.http.get(`${base}?include_archived=maybe`).set(t.admin)).status).toBe(400);
  });

  it('refuses bad definitions with the path of the offending node', async () => {
    const post = (definition: unknown, key = 'bad') => t.http.post(base).set(t.admin).send({ key, name: 'x', kind: 'dynamic', definition });
    const unknownOp = await post({ type: 'AND', values: [germans, { type: 'OR', values: [{ type: 'person', key: 'a', operator: 'like', value: 'x' }] }] });
    expect(unknownOp.status).toBe(400);
    expect(unknownOp.body.error.message).toMatch(/^definition\.values\[1\]\.values\[0\]\.operator/);

    const types = await post({ type: 'person', key: 'age', operator: 'gt', value: 'old' });
    expect(types.body.error.message).toMatch(/^definition\.value: gt needs a number/);

    const regex = await post({ type: 'AND', values: [germans, { type: 'behavioral', event: 'e', where: [{ key: 'x', operator: 'regex', value: '(unclosed' }] }] });
    expect(regex.status).toBe(400);
    expect(regex.body.error.details.code).toBe('invalid_regex');
    expect(regex.body.error.details.issues[0].path).toBe('definition.values[1].where[0].value');

    expect((await post(undefined)).body.error.message).toMatch(/needs a definition/);
    expect((await t.http.post(base).set(t.admin).send({ key: 's', name: 'x', kind: 'static', definition: germans })).status).toBe(400);
    expect((await t.http.post(base).set(t.admin).send({ key: 'fast', name: 'x', kind: 'static', refresh_interval_s: 10 })).body.error.message).toMatch(/at least 300 s/);
    expect((await t.http.post(base).set(t.admin).send({ key: 'bad key!', name: 'x', kind: 'static' })).body.error.message).toMatch(/^body\.key/);
  });

  it('refuses cycles, missing and archived references at save time', async () => {
    await createCohort({ key: 'ca', name: 'a', kind: 'dynamic', definition: germans });
    await createCohort({ key: 'cb', name: 'b', kind: 'dynamic', definition: { type: 'AND', values: [{ type: 'cohort', key: 'ca', operator: 'in' }] } });
    const cycle = await t.http.patch(`${base}/ca`).set(t.admin).send({ definition: { type: 'OR', values: [germans, { type: 'cohort', key: 'cb', operator: 'not_in' }] } });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.message).toBe('definition.values[1]: reference creates a cycle: ca -> cb -> ca');
    const self = await t.http.patch(`${base}/ca`).set(t.admin).send({ definition: { type: 'cohort', key: 'ca', operator: 'in' } });
    expect(self.body.error.message).toMatch(/cannot reference itself/);
    const missing = await t.http.post(base).set(t.admin).send({ key: 'cc', name: 'c', kind: 'dynamic', definition: { type: 'cohort', key: 'nope', operator: 'in' } });
    expect(missing.body.error.message).toBe('definition: cohort nope does not exist in this project');
    const archived = await t.http.post(base).set(t.admin).send({ key: 'cd', name: 'd', kind: 'dynamic', definition: { type: 'cohort', key: 'l2', operator: 'in' } });
    expect(archived.body.error.message).toMatch(/l2 is archived/);
  });
});

describe('refresh now', () => {
  it('materializes synchronously and reports the outcome', async () => {
    await createCohort({ key: 'fr', name: 'French', kind: 'dynamic', definition: { type: 'person', key: 'country', operator: 'eq', value: 'France' } });
    const { rows } = await t.pool.query<{ id: number }>(
      `INSERT INTO persons (project_id, bucketing_key, properties) VALUES ($1, 'x', '{"country":"France"}'), ($1, 'y', '{"country":"Spain"}') RETURNING id`,
      [p.id],
    );
    const res = await t.http.post(`${base}/fr/refresh`).set(t.admin);
    expect(res.status).toBe(200);
    expect(res.body.outcome).toMatchObject({ status: 'ok', version: 1, member_count: 1 });
    expect(res.body.cohort).toMatchObject({ state: 'active', version: 1, member_count: 1 });
    expect(res.body.cohort.last_calculated_at).toBe(res.body.outcome.as_of);
    expect(await isMember('fr', rows[0].id)).toBe(true);
    expect(await isMember('fr', rows[1].id)).toBe(false);
    const again = await t.http.post(`${base}/fr/refresh`).set(t.admin);
    expect(again.body.outcome.version).toBe(2);
    // the old version is gone from the store
    expect(await memberSetExists(t, p.id, await cohortId('fr'), 1)).toBe(false);
    const history = await t.pool.query('SELECT version, member_count, error_code, stats FROM cohort_calculations WHERE cohort_id = $1 ORDER BY id', [await cohortId('fr')]);
    expect(history.rows.map((r) => [r.version, r.member_count, r.error_code])).toEqual([[1, 1, null], [2, 1, null]]);
    expect(history.rows[0].stats).toMatchObject({ rows: 1 });

    await t.pool.query(`UPDATE cohorts SET lease_owner = 'elsewhere', lease_expires_at = now() + interval '1 minute' WHERE id = $1`, [await cohortId('fr')]);
    expect((await t.http.post(`${base}/fr/refresh`).set(t.admin)).status).toBe(409);
    expect((await t.http.post(`${base}/nope/refresh`).set(t.admin)).status).toBe(404);
  });
});

describe('static members', () => {
  it('reads CSV with BOM, CRLF, quoting and reports counts', async () => {
    await createCohort({ key: 'csv', name: 'CSV', kind: 'static' });
    await t.pool.query(`INSERT INTO persons (project_id, bucketing_key) VALUES ($1, 'seen-1')`, [p.id]);
    await t.pool.query(`INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) SELECT $1, 'seen-1', max(id) FROM persons WHERE project_id = $1`, [p.id]);
    const csv = '\uFEFFemail,distinct_id\r\na@x.com,seen-1\r\n"b,c@x.com","id, with comma"\r\n\r\nq,"say ""hi"""\r\nr,seen-1\r\n';
    const res = await t.http.post(`${base}/csv/members`).set(t.admin).set('Content-Type', 'text/csv').send(csv);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ added: 3, already_present: 0, not_yet_seen: 2, invalid: [], total: 3, materialization: { status: 'ok' } });
    const list = await t.http.get(`${base}/csv/members?limit=2`).set(t.admin);
    expect(list.body.data.map((m: { distinct_id: string }) => m.distinct_id)).toEqual(['id, with comma', 'say "hi"']);
    const rest = await t.http.get(`${base}/csv/members?limit=2&cursor=${list.body.next_cursor}`).set(t.admin);
    expect(rest.body.data).toEqual([expect.objectContaining({ distinct_id: 'seen-1', person_id: expect.any(Number) })]);
    expect(rest.body.next_cursor).toBeNull();
    expect(await isMember('csv', await personOf('seen-1'))).toBe(true);
    expect(await isMember('csv', null, ['id, with comma'])).toBe(true);

    const again = await t.http.post(`${base}/csv/members`).set(t.admin).send({ distinct_ids: ['seen-1', 'new-1', 'new-1'] });
    expect(again.body).toMatchObject({ added: 1, already_present: 1, not_yet_seen: 1, total: 4 });
    const removed = await t.http.delete(`${base}/csv/members`).set(t.admin).send({ distinct_ids: ['new-1', 'not-there'] });
    expect(removed.body).toMatchObject({ removed: 1, not_present: 1, total: 3 });
    expect(await isMember('csv', null, ['new-1'])).toBe(false);
    const replaced = await t.http.put(`${base}/csv/members`).set(t.admin).set('Content-Type', 'text/csv').send('distinct_id\nseen-1\nother\n');
    expect(replaced.body).toMatchObject({ added: 1, already_present: 1, removed: 2, total: 2 });
    expect(await isMember('csv', null, ['id, with comma'])).toBe(false);
    expect(await isMember('csv', null, ['other'])).toBe(true);
  });

  it('refuses an upload with invalid rows whole, naming the lines', async () => {
    await createCohort({ key: 'strict', name: 'Strict', kind: 'static' });
    const csv = 'distinct_id\nok-1\nnull\n\n  \n"multi\nline"\nguest\n' + `${'x'.repeat(201)}\n`;
    const res = await t.http.post(`${base}/strict/members`).set(t.admin).set('Content-Type', 'text/csv').send(csv);
    expect(res.status).toBe(422);
    expect(res.body.error.details.invalid.map((r: { line: number }) => r.line)).toEqual([3, 5, 8, 9]);
    expect(res.body.error.details.invalid[0]).toEqual({ line: 3, value: 'null', reason: '"null" is a placeholder id, not a user' });
    const json = await t.http.post(`${base}/strict/members`).set(t.admin).send({ distinct_ids: ['ok', 5, 'undefined'] });
    expect(json.status).toBe(422);
    expect(json.body.error.details.invalid).toEqual([
      { index: 1, value: 5, reason: 'distinct_id must be a string' },
      { index: 2, value: 'undefined', reason: '"undefined" is a placeholder id, not a user' },
    ]);
    expect((await t.http.post(`${base}/strict/members`).set(t.admin).set('Content-Type', 'text/csv').send('id\nx\n')).body.error.message).toMatch(/no distinct_id column/);
    expect((await t.http.post(`${base}/strict/members`).set(t.admin).set('Content-Type', 'text/csv').send('distinct_id\n"open\n')).status).toBe(400);
    const { rows } = await t.pool.query('SELECT count(*)::int AS n FROM static_cohort_members WHERE cohort_id = $1', [await cohortId('strict')]);
    expect(rows[0].n).toBe(0);
    expect((await t.http.post(`${base}/de/members`).set(t.admin).send({ distinct_ids: ['a'] })).status).toBe(409);
  });

  it('accepts 100,000 members and refuses 100,001 whole', async () => {
    await createCohort({ key: 'big', name: 'Big', kind: 'static' });
    const ids = Array.from({ length: 100_001 }, (_, i) => `user-${i}`);
    const over = await t.http.post(`${base}/big/members`).set(t.admin).send({ distinct_ids: ids });
    expect(over.status).toBe(413);
    expect(over.body.error.details).toEqual({ limit: 100_000, total: 100_001 });
    const ok = await t.http.put(`${base}/big/members`).set(t.admin).set('Content-Type', 'text/csv').send(`distinct_id\n${ids.slice(0, 100_000).join('\n')}\n`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ added: 100_000, not_yet_seen: 100_000, total: 100_000, materialization: { status: 'ok' } });
    expect(await isMember('big', null, ['user-99999'])).toBe(true);
    // One more would pass the limit: refused, nothing applied.
    const one = await t.http.post(`${base}/big/members`).set(t.admin).send({ distinct_ids: ['user-100000', 'user-5'] });
    expect(one.status).toBe(413);
    expect(one.body.error.details.total).toBe(100_001);
    const { rows } = await t.pool.query('SELECT count(*)::int AS n FROM static_cohort_members WHERE cohort_id = $1', [await cohortId('big')]);
    expect(rows[0].n).toBe(100_000);
    expect(await isMember('big', null, ['user-100000'])).toBe(false);
  }, 60_000);

  it('makes a listed id a member as soon as it shows up, and follows aliases', async () => {
    await createCohort({ key: 'vip', name: 'VIP', kind: 'static' });
    await t.http.post(`${base}/vip/members`).set(t.admin).send({ distinct_ids: ['later@x.com', 'user@x.com'] }).expect(200);

    // An unseen id appears with its first event: the feeds tell the listener, which adds the person.
    const ev = await t.http.post('/v1/events').set(p.bearer).send({ event: 'signup', distinct_id: 'later@x.com' });
    expect(ev.status, JSON.stringify(ev.body)).toBeLessThan(300);
    const later = await personOf('later@x.com');
    expect(later).not.toBeNull();
    expect(await eventually(() => isMember('vip', later!))).toBe(true);

    // An anonymous visitor becomes user@x.com through an alias: the anonymous person is a member.
    await t.http.post('/v1/events').set(p.bearer).send({ event: 'pageview', distinct_id: 'anon-7' }).expect((r) => expect(r.status).toBeLessThan(300));
    const anon = await personOf('anon-7');
    expect(await isMember('vip', anon!, ['anon-7'])).toBe(false);
    const alias = await t.http.post('/v1/alias').set(p.bearer).send({ distinct_id: 'user@x.com', alias: 'anon-7' });
    expect(alias.status, JSON.stringify(alias.body)).toBe(200);
    expect(await eventually(() => isMember('vip', anon!, ['anon-7']))).toBe(true);

    // The person view lists the cohort with its freshness.
    const cohorts = await t.cohorts.cohortsOfPerson(p.id, anon!, ['anon-7']);
    expect(cohorts).toEqual([expect.objectContaining({ key: 'vip', kind: 'static', state: 'active', version: 1, as_of: expect.any(String) })]);
    // A full rematerialization resolves the same membership from PostgreSQL.
    expect((await t.http.post(`${base}/vip/refresh`).set(t.admin)).body.outcome).toMatchObject({ status: 'ok', member_count: 2 });
    expect(await isMember('vip', anon!)).toBe(true);
    expect(await isMember('vip', later!)).toBe(true);

    // A GDPR erasure takes the person out of every cohort at once.
    const erased = await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'anon-7', $delete: '' });
    expect(erased.status, JSON.stringify(erased.body)).toBeLessThan(300);
    expect(await eventually(async () => !(await isMember('vip', anon!)))).toBe(true);
  });
});
