/**
 * Membership history and decision replay (issue 19, docs/history.md) against real PostgreSQL
 * and Redis: intervals across refreshes, static edits and alias merges; a 1 % change of a
 * 100,000-member cohort writes 1,000 rows; the changes feed; replay at 20 instants of a
 * scripted timeline matches what the live handshake answered at each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  await t.cleanup();
});

type Project = { id: number; token: string; bearer: { Authorization: string } };
const admin = (p: Project, path: string) => `/v1/projects/${p.id}${path}`;
const ok = (res: { status: number; body: unknown }) => {
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body as Record<string, any>;
};
const engage = async (p: Project, distinctId: string, set: Record<string, unknown>) => ok(await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: distinctId, $set: set }));
const refresh = async (p: Project, key: string) => ok(await t.http.post(admin(p, `/cohorts/${key}/refresh`)).set(t.admin));
const personId = async (p: Project, distinctId: string) =>
  Number((await t.pool.query('SELECT person_id FROM person_distinct_ids WHERE project_id = $1 AND distinct_id = $2', [p.id, distinctId])).rows[0].person_id);
const personRead = async (p: Project, distinctId: string) => ok(await t.http.get(admin(p, `/persons/${encodeURIComponent(distinctId)}`)).set(t.admin));
const changes = async (p: Project, key: string, query = '') => ok(await t.http.get(admin(p, `/cohorts/${key}/changes${query}`)).set(t.admin));
const pause = () => new Promise((r) => setTimeout(r, 15));

describe('membership history', () => {
  it('records a join, a leave and a rejoin of a dynamic cohort across refreshes', async () => {
    const p = await t.newProject('history-dynamic');
    ok(await t.http.post(admin(p, '/cohorts')).set(t.admin).send({ key: 'pros', name: 'Pros', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'pro' } }));
    await engage(p, 'ann', { plan: 'free' });
    await engage(p, 'bob', { plan: 'pro' });
    await refresh(p, 'pros'); // v1: bob
    const t1 = Date.now();
    await pause();
    await engage(p, 'ann', { plan: 'pro' });
    await refresh(p, 'pros'); // v2: ann, bob
    await pause();
    const t2 = Date.now();
    await pause();
    await engage(p, 'ann', { plan: 'free' });
    await refresh(p, 'pros'); // v3: bob
    await pause();
    await engage(p, 'ann', { plan: 'pro' });
    await refresh(p, 'pros'); // v4: ann, bob

    const ann = await personRead(p, 'ann');
    const intervals = ann.cohort_history.filter((i: { cohort: string }) => i.cohort === 'pros');
    expect(intervals.map((i: any) => [i.entered_version, i.left_version, i.entered_via, i.left_via])).toEqual([
      [4, null, 'refresh', null],
      [2, 3, 'refresh', 'refresh'],
    ]);
    expect(Date.parse(intervals[1].entered_at)).toBeGreaterThan(t1);
    expect(Date.parse(intervals[1].entered_at)).toBeLessThan(t2);
    expect(ann.cohorts.find((c: { key: string }) => c.key === 'pros')).toMatchObject({ entered_at: intervals[0].entered_at });
    const bob = await personRead(p, 'bob');
    expect(bob.cohort_history).toEqual([expect.objectContaining({ cohort: 'pros', entered_version: 1, left_at: null })]);

    // the feed, oldest first, in pages
    const all = await changes(p, 'pros');
    expect(all.data.map((c: any) => [c.kind, c.version, c.person_id])).toEqual([
      ['entered', 1, await personId(p, 'bob')],
      ['entered', 2, await personId(p, 'ann')],
      ['left', 3, await personId(p, 'ann')],
      ['entered', 4, await personId(p, 'ann')],
    ]);
    const first = await changes(p, 'pros', '?limit=3');
    expect(first.data).toHaveLength(3);
    const rest = await changes(p, 'pros', `?limit=3&cursor=${first.next_cursor}`);
    expect([...first.data, ...rest.data]).toEqual(all.data);
    expect(rest.next_cursor).toBeNull();
    const window = await changes(p, 'pros', `?since=${new Date(t1).toISOString()}&until=${t2}`);
    expect(window.data.map((c: any) => c.version)).toEqual([2]);
    // bad input: 400 naming the field; unknown cohort: 404
    const bad = await t.http.get(admin(p, '/cohorts/pros/changes?since=yesterday')).set(t.admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/query\.since/);
    expect((await t.http.get(admin(p, '/cohorts/pros/changes?cursor=zz')).set(t.admin)).status).toBe(400);
    expect((await t.http.get(admin(p, '/cohorts/nope/changes')).set(t.admin)).status).toBe(404);
  });

  it('records static uploads and removals, unseen ids, and an alias merge', async () => {
    const p = await t.newProject('history-static');
    ok(await t.http.post(admin(p, '/cohorts')).set(t.admin).send({ key: 'pins', name: 'Pins', kind: 'static' }));
    await engage(p, 'seen', { plan: 'x' });
    ok(await t.http.post(admin(p, '/cohorts/pins/members')).set(t.admin).send({ distinct_ids: ['seen', 'later'] }));
    ok(await t.http.delete(admin(p, '/cohorts/pins/members')).set(t.admin).send({ distinct_ids: ['seen'] }));
    const feed = await changes(p, 'pins');
    const seen = await personId(p, 'seen');
    expect(feed.data.map((c: any) => [c.kind, c.person_id, c.distinct_id, c.via])).toEqual([
      ['entered', seen, null, 'static'],
      ['entered', null, 'later', 'static'],
      ['left', seen, null, 'static'],
    ]);

    // an anonymous person in a dynamic cohort is merged into an identified one: its interval closes
    ok(await t.http.post(admin(p, '/cohorts')).set(t.admin).send({ key: 'xs', name: 'X plan', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'x' } }));
    await engage(p, 'anon-1', { plan: 'x' });
    await engage(p, 'user@example.com', { plan: 'y' });
    await refresh(p, 'xs');
    const anon = await personId(p, 'anon-1');
    ok(await t.http.post('/v1/alias').set(p.bearer).send({ distinct_id: 'user@example.com', alias: 'anon-1' }));
    const { rows } = await t.pool.query('SELECT left_via, left_at FROM cohort_membership_history WHERE project_id = $1 AND person_id = $2', [p.id, anon]);
    expect(rows).toEqual([{ left_via: 'alias', left_at: expect.any(Date) }]);
  });

  it('writes 1,000 rows, not 100,000, when a refresh changes 1 % of a 100,000-member cohort', async () => {
    const p = await t.newProject('history-big');
    await t.pool.query(
      `WITH made AS (
         INSERT INTO persons (project_id, bucketing_key, properties)
         SELECT $1, 'big-' || g, jsonb_build_object('n', g) FROM generate_series(1, 100500) g RETURNING id, bucketing_key)
       INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) SELECT $1, bucketing_key, id FROM made`,
      [p.id],
    );
    ok(await t.http.post(admin(p, '/cohorts')).set(t.admin).send({ key: 'big', name: 'Big', kind: 'dynamic', definition: { type: 'person', key: 'n', operator: 'lte', value: 100000 } }));
    await refresh(p, 'big');
    const count = async () => Number((await t.pool.query('SELECT count(*) FROM cohort_membership_history WHERE project_id = $1', [p.id])).rows[0].count);
    expect(await count()).toBe(100_000);
    // 500 members leave, 500 persons enter: 1 % of the members change
    await t.pool.query(`UPDATE persons SET properties = jsonb_build_object('n', 200000) WHERE project_id = $1 AND (properties->>'n')::int <= 500`, [p.id]);
    await t.pool.query(`UPDATE persons SET properties = jsonb_build_object('n', 1) WHERE project_id = $1 AND (properties->>'n')::int > 100000 AND (properties->>'n')::int < 200000`, [p.id]);
    await refresh(p, 'big');
    const { rows } = await t.pool.query(
      `SELECT count(*) FILTER (WHERE entered_version = 2) AS entered, count(*) FILTER (WHERE left_version = 2) AS left FROM cohort_membership_history WHERE project_id = $1`,
      [p.id],
    );
    expect(rows[0]).toEqual({ entered: 500, left: 500 });
    expect(await count()).toBe(100_500); // 500 new rows; 500 rows closed in place
  }, 120_000);

  it('resynchronizes a cohort whose previous version was never recorded', async () => {
    const p = await t.newProject('history-resync');
    ok(await t.http.post(admin(p, '/cohorts')).set(t.admin).send({ key: 'pros', name: 'Pros', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'pro' } }));
    await engage(p, 'a', { plan: 'pro' });
    await engage(p, 'b', { plan: 'pro' });
    await refresh(p, 'pros');
    // as if the cohort had been materialized before history began
    await t.pool.query('DELETE FROM cohort_membership_history WHERE project_id = $1', [p.id]);
    await t.pool.query('UPDATE cohorts SET history_version = NULL, history_from = NULL WHERE project_id = $1', [p.id]);
    await engage(p, 'b', { plan: 'free' });
    await engage(p, 'c', { plan: 'pro' });
    await refresh(p, 'pros');
    const feed = await changes(p, 'pros');
    expect(feed.data.map((c: any) => [c.kind, c.person_id, c.via]).sort()).toEqual(
      [['entered', await personId(p, 'a'), 'recording_began'], ['entered', await personId(p, 'c'), 'recording_began']].sort(),
    );
    const a = await personRead(p, 'a');
    expect(a.cohorts.find((c: { key: string }) => c.key === 'pros').entered_at).toBeNull(); // maybe earlier: unknown
  });
});

describe('retention', () => {
  it('prunes ended intervals and superseded history past the retention, keeping the state at the cutoff', async () => {
    const p = await t.newProject('history-retention');
    ok(await t.http.post(admin(p, '/cohorts')).set(t.admin).send({ key: 'pros', name: 'Pros', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'pro' } }));
    await engage(p, 'r', { plan: 'pro' });
    await refresh(p, 'pros');
    await engage(p, 'r', { plan: 'free' });
    await refresh(p, 'pros');
    await engage(p, 'r', { plan: 'team' });
    const day = 86_400_000;
    const old = new Date(Date.now() - 100 * day);
    // age everything but the newest property change by 100 days
    await t.pool.query('UPDATE cohort_membership_history SET entered_at = $2, left_at = $2 WHERE project_id = $1', [p.id, old]);
    const pid = await personId(p, 'r');
    await t.pool.query('UPDATE person_history SET at = $3 WHERE project_id = $1 AND person_id = $2 AND id < (SELECT max(id) FROM person_history WHERE person_id = $2)', [p.id, pid, old]);
    await t.pool.query('UPDATE projects SET history_since = $2 WHERE id = $1', [p.id, new Date(old.getTime() - day)]);
    const props = async () => (await t.pool.query('SELECT properties FROM person_history WHERE person_id = $1 ORDER BY at, id', [pid])).rows.map((r) => r.properties.plan);
    expect(await props()).toEqual(['pro', 'free', 'team']);

    await t.stores.membershipHistory.prune(Date.now() - 90 * day);
    expect(Number((await t.pool.query('SELECT count(*) FROM cohort_membership_history WHERE project_id = $1', [p.id])).rows[0].count)).toBe(0);
    expect(await props()).toEqual(['free', 'team']); // 'free' was the state at the cutoff
    const pruned = ok(await t.http.get(admin(p, `/persons/r/decisions?at=${Date.now() - 95 * day}`)).set(t.admin));
    expect(pruned.inexact.map((i: { code: string }) => i.code)).toContain('history_pruned');
    const recent = ok(await t.http.get(admin(p, `/persons/r/decisions?at=${Date.now()}`)).set(t.admin));
    expect(recent.person.properties).toEqual({ plan: 'team' });
    expect(recent.inexact.map((i: { code: string }) => i.code)).not.toContain('history_pruned');
  });
});

describe('decision replay', () => {
  it('answers at 20 instants of a scripted timeline what the live handshake answered then', async () => {
    const p = await t.newProject('replay');
    const decide = async (distinctId: string) => ok(await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: distinctId }));
    ok(await t.http.post(admin(p, '/cohorts')).set(t.admin).send({ key: 'pros', name: 'Pros', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'eq', value: 'pro' } }));
    ok(await t.http.post(admin(p, '/cohorts')).set(t.admin).send({ key: 'pins', name: 'Pins', kind: 'static' }));
    await engage(p, 'anon-7', { plan: 'free', country: 'DE' });
    await refresh(p, 'pros');
    ok(await t.http.post(admin(p, '/flags')).set(t.admin).send({ key: 'pro-feature', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'pros', cohorts: { any: ['pros'] }, serve: { variant: 'on' } }] }));
    ok(await t.http.post(admin(p, '/flags')).set(t.admin).send({ key: 'pinned', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'pins', cohorts: { any: ['pins'] }, serve: { variant: 'on' } }] }));
    ok(await t.http.post(admin(p, '/flags')).set(t.admin).send({
      key: 'checkout', enabled: true, default_variant: 'a', off_variant: 'a', variants: { a: { value: 'a' }, b: { value: 'b' } },
      rules: [{ id: 'de', condition: { '==': [{ var: 'country' }, 'DE'] }, serve: { split: [{ variant: 'a', weight: 50 }, { variant: 'b', weight: 50 }] } }],
    }));
    ok(await t.http.post(admin(p, '/configs')).set(t.admin).send({ key: 'limit', schema: { type: 'integer' }, default: 10, rules: [{ id: 'pro', cohorts: { any: ['pros'] }, serve: { value: 100 } }] }));

    const steps: Array<() => Promise<unknown>> = [
      () => engage(p, 'anon-7', { plan: 'pro' }),
      () => refresh(p, 'pros'),
      async () => ok(await t.http.put(admin(p, '/flags/pro-feature')).set(t.admin).set('If-Match', '"1"').send({ key: 'pro-feature', enabled: false, default_variant: 'off', off_variant: 'off', rules: [] })),
      () => engage(p, 'anon-7', { country: 'FR' }),
      () => t.http.post('/v1/alias').set(p.bearer).send({ distinct_id: 'seven@example.com', alias: 'anon-7' }),
      () => t.http.post(admin(p, '/cohorts/pins/members')).set(t.admin).send({ distinct_ids: ['seven@example.com'] }),
      () => engage(p, 'seven@example.com', { plan: 'free' }),
      () => refresh(p, 'pros'),
      () => t.http.post(admin(p, '/cohorts/pros/pause')).set(t.admin),
    ];
    const recorded: Array<{ at: number; who: string; answer: Record<string, any> }> = [];
    const observe = async () => {
      // the API process reloads definitions on a notice: wait until it serves the change
      await new Promise((r) => setTimeout(r, 120));
      for (const who of ['anon-7', 'seven@example.com']) {
        const at = Date.now();
        recorded.push({ at, who, answer: await decide(who) });
      }
      await new Promise((r) => setTimeout(r, 10));
    };
    await observe();
    for (const step of steps) {
      const res = (await step()) as { status?: number; body?: unknown } | undefined;
      if (res && typeof res === 'object' && 'status' in res && typeof res.status === 'number') expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      await observe();
    }
    expect(recorded).toHaveLength(20);

    let matched = 0;
    for (const r of recorded) {
      const replay = ok(await t.http.get(admin(p, `/persons/${encodeURIComponent(r.who)}/decisions?at=${r.at}`)).set(t.admin));
      const pick = (body: Record<string, any>) => ({
        flags: Object.fromEntries(Object.entries(body.flags).map(([k, d]: [string, any]) => [k, [d.value, d.variant, d.reason, d.rule_id]])),
        configs: Object.fromEntries(Object.entries(body.configs).map(([k, d]: [string, any]) => [k, [d.value, d.reason, d.rule_id]])),
      });
      expect(pick(replay), `${r.who} at ${new Date(r.at).toISOString()}`).toEqual(pick(r.answer));
      expect(replay.exact).toBe(true);
      expect(replay.traces.flags['pro-feature']).toBeDefined();
      matched++;
    }
    expect(matched).toBe(20);
  }, 60_000);

  it('says when it cannot be exact, and refuses a bad instant', async () => {
    const p = await t.newProject('replay-limits');
    await engage(p, 'x', { plan: 'pro' });
    const before = ok(await t.http.get(admin(p, '/persons/x/decisions?at=2020-01-01T00:00:00Z')).set(t.admin));
    expect(before.exact).toBe(false);
    expect(before.inexact.map((i: { code: string }) => i.code)).toContain('before_history');
    expect(before.person).toBeNull();
    const bad = await t.http.get(admin(p, '/persons/x/decisions?at=last-tuesday')).set(t.admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/query\.at/);
    expect((await t.http.get(admin(p, '/persons/x/decisions')).set(t.admin)).status).toBe(400);
  });
});
