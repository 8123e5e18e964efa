/**
 * The handshake's 304 hits (issue 12, item 4): its ETag derives from the decisions, not from
 * versions that move without a change. A client polling an enterprise project with 20
 * cohorts while every cohort is refreshed between polls (as 30 s of enterprise schedule would)
 * gets 304 on at least 99 % of polls, and the refreshes make no API process reload its snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };
const admin = (path: string) => `/v1/projects/${p.id}${path}`;
const ok = (res: { status: number; body: unknown }) => expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
const COHORTS = 20;

beforeAll(async () => {
  t = await createTestContext({ DEFINITIONS_POLL_MS: '50' });
  p = await t.newProject('polling', 'enterprise');
  ok(await t.http.post('/v1/engage').set(p.bearer).send({ updates: [{ distinct_id: 'polly', $set: { n: 3 } }, { distinct_id: 'other', $set: { n: 8 } }] }));
  for (let i = 0; i < COHORTS; i++) {
    const key = `c${i}`;
    if (i % 2 === 0) {
      ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key, name: key, kind: 'dynamic', definition: { type: 'person', key: 'n', operator: 'gt', value: i % 10 } }));
    } else {
      ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key, name: key, kind: 'static' }));
      ok(await t.http.post(admin(`/cohorts/${key}/members`)).set(t.admin).send({ distinct_ids: i % 4 === 1 ? ['polly'] : ['other'] }));
    }
    ok(await t.http.post(admin(`/cohorts/${key}/refresh`)).set(t.admin));
    ok(await t.http.post(admin('/flags')).set(t.admin).send({ key: `f${i}`, enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'in', cohorts: { any: [key] }, serve: { variant: 'on' } }] }));
  }
});
afterAll(async () => {
  await t.cleanup();
});

const loads = async () => Number(/switchboard_snapshot_loads_total (\d+)/.exec((await t.http.get('/metrics')).text)?.[1] ?? 0);

describe('polling with If-None-Match while cohorts refresh', () => {
  it('answers 304 on at least 99 % of polls and reloads no snapshot', async () => {
    const first = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'polly' });
    expect(first.status).toBe(200);
    const etag = first.headers.etag as string;
    const loadsBefore = await loads();
    const ids = await Promise.all(Array.from({ length: COHORTS }, async (_, i) => (await t.cohorts.service.get(p.id, `c${i}`)).id));

    let notModified = 0;
    const POLLS = 100;
    for (let poll = 0; poll < POLLS; poll++) {
      // Every cohort is refreshed before each poll (an enterprise cohort refreshes every 30 s).
      const outcomes = await Promise.all(ids.map((id) => t.cohorts.refreshCohort(p.id, id, { worker: 'test' })));
      expect(outcomes.map((o) => o.status)).toEqual(ids.map(() => 'ok'));
      const res = await t.http.post('/v1/decide').set(p.bearer).set('If-None-Match', etag).send({ distinct_id: 'polly' });
      if (res.status === 304) notModified++;
      else expect(res.status).toBe(200);
    }
    console.log(`${notModified} of ${POLLS} polls answered 304 while ${COHORTS} cohorts refreshed ${POLLS} times each`);
    expect(notModified / POLLS).toBeGreaterThanOrEqual(0.99);
    expect(await loads()).toBe(loadsBefore);

    // A change that moves a decision changes the ETag.
    ok(await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'polly', $set: { n: 0 } }));
    await t.eventDrivenRecompute.flush();
    const after = await t.http.post('/v1/decide').set(p.bearer).set('If-None-Match', etag).send({ distinct_id: 'polly' });
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(etag);
  }, 180_000);

  it('still serves fresh as-of times and cohort versions after refreshes, through the poll', async () => {
    const before = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'polly' });
    const id = (await t.cohorts.service.get(p.id, 'c0')).id;
    await new Promise((r) => setTimeout(r, 20));
    const outcome = await t.cohorts.refreshCohort(p.id, id, { worker: 'test' });
    expect(outcome.status).toBe('ok');
    let after = before;
    for (let i = 0; i < 50 && after.body.snapshot.cohorts.c0.version === before.body.snapshot.cohorts.c0.version; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'polly' });
    }
    expect(after.body.snapshot.cohorts.c0.version).toBe(outcome.status === 'ok' ? outcome.version : -1);
    expect(Date.parse(after.body.snapshot.cohorts.c0.as_of)).toBeGreaterThan(Date.parse(before.body.snapshot.cohorts.c0.as_of));
    expect(after.headers.etag).toBe(before.headers.etag);
  });
});
