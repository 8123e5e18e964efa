/**
 * GDPR erasure (`$delete`, PRODUCT.md 4.2, 17) leaves nothing behind: no row of PostgreSQL and
 * no key or member of Redis holds the person's distinct ids or person id afterwards (issue 12).
 * The test scans every table and every key of its own database and Redis prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };
const admin = (path: string) => `/v1/projects/${p.id}${path}`;
const ok = (res: { status: number; body: unknown }) => expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
const IDS = ['erase-anon-7f3a', 'erase-user-7f3a@example.com'];

beforeAll(async () => {
  t = await createTestContext({ EXPOSURE_SAMPLE_RATE: '1' });
  p = await t.newProject('erasure', 'enterprise');
  ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'pins', name: 'Pins', kind: 'static' }));
  ok(await t.http.post(admin('/cohorts/pins/members')).set(t.admin).send({ distinct_ids: [...IDS, 'keep-me'] }));
  ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'pro', name: 'Pro', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'pro' } }));
  ok(await t.http.post(admin('/flags')).set(t.admin).send({ key: 'beta', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'pins', cohorts: { any: ['pins'] }, serve: { variant: 'on' } }] }));
  ok(await t.http.post('/v1/events').set(p.bearer).send({ events: [{ event: 'visit', distinct_id: IDS[0], properties: { page: '/' } }, { event: 'visit', distinct_id: 'keep-me' }] }));
  ok(await t.http.post('/v1/alias').set(p.bearer).send({ distinct_id: IDS[1], alias: IDS[0] }));
  ok(await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: IDS[1], $set: { plan: 'pro', email: IDS[1] } }));
  ok(await t.http.post(admin('/cohorts/pro/refresh')).set(t.admin));
  await t.eventDrivenRecompute.flush();
  ok(await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: IDS[1] }));
  await t.exposures.flush();
});
afterAll(async () => {
  await t.cleanup();
});

/** Every table of the test database whose rows, as text, contain `needle`. */
async function tablesHolding(needle: string): Promise<string[]> {
  const { rows: tables } = await t.pool.query<{ name: string }>(
    "SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  const out: string[] = [];
  for (const { name } of tables) {
    const { rows } = await t.pool.query(`SELECT 1 FROM ${name} x WHERE x::text LIKE '%' || $1 || '%' LIMIT 1`, [needle]);
    if (rows.length) out.push(name);
  }
  return out;
}

/** Every Redis key of this test's prefix whose name or value contains one of `needles`. */
async function keysHolding(needles: string[], members: string[]): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await t.redis.scan(cursor, 'MATCH', `${t.keys.prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      if (needles.some((n) => key.includes(n))) out.push(key);
      const type = await t.redis.type(key);
      if (type === 'string') {
        const value = (await t.redis.get(key)) ?? '';
        if (needles.some((n) => value.includes(n))) out.push(`${key} (value)`);
      }
      if (type === 'set') {
        const set = await t.redis.smembers(key);
        if (set.some((m) => members.includes(m) || needles.some((n) => m.includes(n)))) out.push(`${key} (member)`);
      }
    }
  } while (cursor !== '0');
  return out;
}

describe('$delete', () => {
  it('leaves no trace of the person in PostgreSQL or Redis', async () => {
    const personId = (await t.identity.resolve(p.id, IDS[1])).personId;
    expect(personId).not.toBeNull();
    // Before: the ids are everywhere they should be.
    expect(await tablesHolding(IDS[0])).toEqual(expect.arrayContaining(['events', 'person_distinct_ids', 'static_cohort_members']));
    expect((await keysHolding(IDS, [String(personId)])).length).toBeGreaterThan(0);

    ok(await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: IDS[1], $delete: true }));

    for (const id of IDS) expect(await tablesHolding(id), id).toEqual([]);
    expect(await keysHolding(IDS, [String(personId)])).toEqual([]);
    // The rest of the project is untouched.
    expect(await tablesHolding('keep-me')).toEqual(expect.arrayContaining(['events', 'static_cohort_members']));
    // The audit log records the erasure, by hash only.
    const [entry] = await t.stores.audit.list(p.id, { limit: 1, entityKind: 'person' });
    expect(entry).toMatchObject({ action: 'delete', before: { distinct_id_count: 2, distinct_id_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });
});
