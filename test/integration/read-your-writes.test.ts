/**
 * Read-your-writes (issue 19, docs/read-your-writes.md) against real PostgreSQL and Redis:
 * `$set` then an immediate decide carrying the write's consistency token sees the new property
 * and the new event-driven membership, 1,000 of 1,000; with the event-driven recompute paused a
 * decide that does not wait says `behind`, a waiting one honours its bound; bad tokens are 400s;
 * an answer behind its token is never a 304.
 */
import { gzipSync } from 'node:zlib';
import type supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseToken } from '../../src/domain/consistency-token.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

type Project = { id: number; token: string; bearer: { Authorization: string } };
const ok = (res: { status: number; body: unknown; text?: string }) => expect(res.status, res.text ?? JSON.stringify(res.body)).toBeLessThan(300);

/** An enterprise project: dynamic cohort `pros` (plan = pro), a flag on it, and (unless cohortOnly) a flag on the property itself. */
async function project(t: TestContext, name: string, people: string[], opts: { cohortOnly?: boolean } = {}): Promise<Project> {
  const p = await t.newProject(name, 'enterprise');
  const admin = (path: string) => `/v1/projects/${p.id}${path}`;
  ok(await t.http.post('/v1/engage').set(p.bearer).send({ updates: people.map((d) => ({ distinct_id: d, $set: { plan: 'free' } })) }));
  ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'pros', name: 'pros', kind: 'dynamic', definition: { type: 'person', key: 'plan', operator: 'in', value: ['pro'] } }));
  ok(await t.http.post(admin('/cohorts/pros/refresh')).set(t.admin));
  ok(await t.http.post(admin('/flags')).set(t.admin).send({ key: 'by-cohort', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'pros', cohorts: { any: ['pros'] }, serve: { variant: 'on' } }] }));
  if (!opts.cohortOnly) {
    ok(await t.http.post(admin('/flags')).set(t.admin).send({ key: 'by-property', enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'pro', condition: { '==': [{ var: 'plan' }, 'pro'] }, serve: { variant: 'on' } }] }));
  }
  // The snapshot follows the cohort's activation and the new flags.
  for (let i = 0; i < 200; i++) {
    const res = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: people[0] });
    if (res.body.flags?.['by-cohort'] && (opts.cohortOnly || res.body.flags['by-property']) && res.body.snapshot.cohorts.pros?.state === 'active') return p;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the snapshot never showed the cohort and flags');
}

const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

describe('read-your-writes with the event-driven recompute running', () => {
  let t: TestContext;
  let p: Project;
  const WORKERS = 4;
  const people = Array.from({ length: WORKERS }, (_, i) => `ryw-${i}`);
  beforeAll(async () => {
    t = await createTestContext({ DEFINITIONS_POLL_MS: '50', EVENT_DRIVEN_FLUSH_MS: '5' });
    p = await project(t, 'ryw', people);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('1,000 of 1,000 `$set` + decide-with-token see the new property and the new membership (4 writers at once)', async () => {
    const ITERATIONS = 1_000 / WORKERS;
    let seen = 0;
    const misses: string[] = [];
    const waitedMs: number[] = [];
    await Promise.all(
      people.map(async (distinctId) => {
        for (let i = 0; i < ITERATIONS; i++) {
          const plan = i % 2 === 0 ? 'pro' : 'free';
          const w = await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: distinctId, $set: { plan, i } });
          ok(w);
          const token = w.body.consistency_token as string;
          expect(w.headers['switchboard-consistency-token']).toBe(token);
          const started = performance.now();
          // A generous bound: on a loaded test machine the default 500 ms can run out (then the
          // answer says behind, honestly); this test is about what a caught-up answer shows.
          const d = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: distinctId, min_token: token, wait: 5_000 });
          waitedMs.push(performance.now() - started);
          ok(d);
          const want = plan === 'pro' ? 'on' : 'off';
          if (d.body.flags['by-property'].variant === want && d.body.flags['by-cohort'].variant === want && d.body.freshness.behind === false) seen++;
          else misses.push(`${distinctId}#${i}: want ${want}, got property ${d.body.flags['by-property'].variant}, cohort ${d.body.flags['by-cohort'].variant}, freshness ${JSON.stringify(d.body.freshness)}`);
        }
      }),
    );
    const over = waitedMs.filter((ms) => ms > 500).length;
    console.log(`read-your-writes: ${seen} of 1000 fresh; decide-with-token latency p50 ${pct(waitedMs, 0.5).toFixed(1)} ms, p99 ${pct(waitedMs, 0.99).toFixed(1)} ms, max ${Math.max(...waitedMs).toFixed(0)} ms, ${over} over 500 ms`);
    expect(misses.slice(0, 5)).toEqual([]);
    expect(seen).toBe(1_000);
  }, 600_000);

  it('returns tokens from /v1/events and /v1/alias too, increasing per project', async () => {
    const a = await t.http.post('/v1/events').set(p.bearer).send({ event: 'opened', distinct_id: 'ryw-0' });
    ok(a);
    const b = await t.http.post('/v1/alias').set(p.bearer).send({ distinct_id: 'ryw-user', alias: 'ryw-anon' });
    ok(b);
    const ta = parseToken(a.body.consistency_token)!;
    const tb = parseToken(b.body.consistency_token)!;
    expect(ta.projectId).toBe(p.id);
    expect(tb.epoch).toBe(ta.epoch);
    expect(tb.seq).toBeGreaterThan(ta.seq);
    expect(b.headers['switchboard-consistency-token']).toBe(b.body.consistency_token);
    const d = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'ryw-user', min_token: b.body.consistency_token });
    expect(d.body.freshness).toEqual({ behind: false, token: expect.any(String) });
    expect(parseToken(d.body.freshness.token)!.seq).toBeGreaterThanOrEqual(tb.seq);
  });

  it('a decide without a token answers as before: no freshness block, no consistency headers', async () => {
    const d = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'ryw-0' });
    ok(d);
    expect(d.body.freshness).toBeUndefined();
    expect(d.headers['switchboard-behind']).toBeUndefined();
  });

  it('refuses malformed, foreign and unissued tokens and an over-long wait with a 400 naming the field', async () => {
    const other = await t.newProject('other', 'enterprise');
    const foreign = (await t.http.post('/v1/engage').set(other.bearer).send({ distinct_id: 'x', $set: { a: 1 } })).body.consistency_token as string;
    const mine = (await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'ryw-0', $set: { a: 1 } })).body.consistency_token as string;
    const unissued = mine.replace(/\.[0-9a-z]+$/, '.zzzzz');
    const cases: Array<[string, () => supertest.Test, RegExp]> = [
      ['body garbage', () => t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'ryw-0', min_token: 'garbage' }), /body\.min_token: is not a consistency token/],
      ['body number', () => t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'ryw-0', min_token: 12 }), /body\.min_token/],
      ['body foreign', () => t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'ryw-0', min_token: foreign }), /body\.min_token: belongs to another project/],
      ['body unissued', () => t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'ryw-0', min_token: unissued }), /body\.min_token: was not issued by this project/],
      ['body wait', () => t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'ryw-0', min_token: mine, wait: 999_999 }), /body\.wait: must be at most 5000 ms/],
      ['body wait type', () => t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'ryw-0', min_token: mine, wait: -1 }), /body\.wait/],
      ['query', () => t.http.post('/v1/decide?min_token=nope').set(p.bearer).send({ distinct_id: 'ryw-0' }), /query\.min_token: is not a consistency token/],
      ['query wait', () => t.http.post(`/v1/decide?min_token=${mine}&wait=soon`).set(p.bearer).send({ distinct_id: 'ryw-0' }), /query\.wait/],
      ['header', () => t.http.post('/v1/decide').set(p.bearer).set('Switchboard-Consistency-Token', 'ct1.x').send({ distinct_id: 'ryw-0' }), /header\.Switchboard-Consistency-Token: is not a consistency token/],
      ['header foreign', () => t.http.post('/v1/decide').set(p.bearer).set('Switchboard-Consistency-Token', foreign).send({ distinct_id: 'ryw-0' }), /belongs to another project/],
    ];
    for (const [name, send, message] of cases) {
      const res = await send();
      expect(res.status, name).toBe(400);
      expect(res.body.error.code, name).toBe('invalid_request');
      expect(res.body.error.message, name).toMatch(message);
    }
    // OFREP: the header or ?min_token=, a 400 with INVALID_CONTEXT naming it.
    const ofrep = await t.http.post('/ofrep/v1/evaluate/flags/by-cohort').set(p.bearer).set('Switchboard-Consistency-Token', foreign).send({ context: { targetingKey: 'ryw-0' } });
    expect(ofrep.status).toBe(400);
    expect(ofrep.body).toEqual({ errorCode: 'INVALID_CONTEXT', errorDetails: expect.stringMatching(/header\.Switchboard-Consistency-Token: belongs to another project/) });
    const bulk = await t.http.post('/ofrep/v1/evaluate/flags?min_token=bad').set(p.bearer).send({ context: { targetingKey: 'ryw-0' } });
    expect(bulk.status).toBe(400);
    expect(bulk.body.errorDetails).toMatch(/query\.min_token/);
  });

  it('OFREP and the express path (a gzip body) wait for the token too', async () => {
    const w = await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'ryw-1', $set: { plan: 'pro' } });
    const token = w.body.consistency_token as string;
    const single = await t.http.post('/ofrep/v1/evaluate/flags/by-cohort').set(p.bearer).set('Switchboard-Consistency-Token', token).send({ context: { targetingKey: 'ryw-1' } });
    expect(single.status).toBe(200);
    expect(single.body).toMatchObject({ key: 'by-cohort', variant: 'on', freshness: { behind: false } });
    expect(single.headers['switchboard-behind']).toBe('false');
    const bulk = await t.http.post(`/ofrep/v1/evaluate/flags?min_token=${encodeURIComponent(token)}`).set(p.bearer).send({ context: { targetingKey: 'ryw-1' } });
    expect(bulk.body.freshness.behind).toBe(false);
    expect(bulk.body.flags.find((f: { key: string }) => f.key === 'by-cohort').variant).toBe('on');

    const w2 = await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'ryw-1', $set: { plan: 'free' } });
    const gz = await t.http
      .post('/v1/decide')
      .set(p.bearer)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize((b: unknown) => b as string)
      .send(gzipSync(JSON.stringify({ distinct_id: 'ryw-1', min_token: w2.body.consistency_token })));
    expect(gz.status).toBe(200);
    expect(gz.body.freshness.behind).toBe(false);
    expect(gz.body.flags['by-cohort'].variant).toBe('off');
  });
});

describe('read-your-writes while the event-driven recompute is paused', () => {
  let t: TestContext;
  let p: Project;
  beforeAll(async () => {
    // The recompute batches for a minute: nothing is recomputed unless a test flushes it.
    t = await createTestContext({ DEFINITIONS_POLL_MS: '50', EVENT_DRIVEN_FLUSH_MS: '60000', CONSISTENCY_WAIT_MS: '300' });
    p = await project(t, 'paused', ['pat', 'quinn']);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('says behind at once with wait 0, honours the wait bound, and catches up once the recompute ran', async () => {
    const w = await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'pat', $set: { plan: 'pro' } });
    const token = w.body.consistency_token as string;

    let started = performance.now();
    const now = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'pat', min_token: token, wait: 0 });
    const atOnceMs = performance.now() - started;
    expect(now.body.freshness.behind).toBe(true);
    expect(now.headers['switchboard-behind']).toBe('true');
    // The property is written through already; the membership is not: the answer is behind.
    expect(now.body.flags['by-property'].variant).toBe('on');
    expect(now.body.flags['by-cohort'].variant).toBe('off');
    expect(parseToken(now.body.freshness.token)!.seq).toBeLessThan(parseToken(token)!.seq);

    started = performance.now();
    const bounded = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'pat', min_token: token, wait: 200 });
    const boundedMs = performance.now() - started;
    expect(bounded.body.freshness.behind).toBe(true);
    started = performance.now();
    const byDefault = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'pat', min_token: token });
    const defaultMs = performance.now() - started;
    expect(byDefault.body.freshness.behind).toBe(true);
    console.log(`paused recompute: wait=0 answered in ${atOnceMs.toFixed(0)} ms, wait=200 in ${boundedMs.toFixed(0)} ms, default (300) in ${defaultMs.toFixed(0)} ms`);
    expect(boundedMs).toBeGreaterThanOrEqual(195);
    expect(boundedMs).toBeLessThan(200 + 1_500);
    expect(defaultMs).toBeGreaterThanOrEqual(295);
    expect(defaultMs).toBeLessThan(300 + 1_500);

    // A waiting decision is woken by the recompute, well before its bound.
    started = performance.now();
    const waiting = t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'pat', min_token: token, wait: 5_000 });
    setTimeout(() => void t.eventDrivenRecompute.flush(), 100);
    const caught = await waiting;
    const caughtMs = performance.now() - started;
    expect(caught.body.freshness.behind).toBe(false);
    expect(caught.body.flags['by-cohort'].variant).toBe('on');
    expect(caughtMs).toBeLessThan(3_000);
  });

  it('an answer behind its token is never a 304, and a fresh one may be', async () => {
    const before = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'quinn' });
    const etag = before.headers.etag as string;
    expect(before.body.flags['by-cohort'].variant).toBe('off');
    // A change only the (paused) cohort sees: the decisions are unchanged until it is recomputed.
    const w = await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'quinn', $set: { plan: 'pro', seen: true } });
    const token = w.body.consistency_token as string;
    // by-property moves at once (the property is written through), so the ETag moves too:
    const behind = await t.http.post('/v1/decide').set(p.bearer).set('If-None-Match', etag).send({ distinct_id: 'quinn', min_token: token, wait: 0 });
    expect(behind.status).toBe(200);
    expect(behind.body.freshness.behind).toBe(true);
    expect(behind.headers.etag).not.toBe(etag);
    // Even when the client holds the behind answer's own ETag, a behind answer is sent whole.
    const again = await t.http.post('/v1/decide').set(p.bearer).set('If-None-Match', behind.headers.etag as string).send({ distinct_id: 'quinn', min_token: token, wait: 0 });
    expect(again.status).toBe(200);
    expect(again.body.freshness.behind).toBe(true);

    await t.eventDrivenRecompute.flush();
    const fresh = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'quinn', min_token: token });
    expect(fresh.status).toBe(200);
    expect(fresh.body.freshness.behind).toBe(false);
    expect(fresh.body.flags['by-cohort'].variant).toBe('on');
    const revalidated = await t.http.post('/v1/decide').set(p.bearer).set('If-None-Match', fresh.headers.etag as string).send({ distinct_id: 'quinn', min_token: token });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers['switchboard-behind']).toBe('false');
  });

  it('a cohort-only change behind its token is not revalidated by the ETag of the unchanged decisions', async () => {
    const q = await project(t, 'cohort-only', ['rae'], { cohortOnly: true });
    const before = await t.http.post('/v1/decide').set(q.bearer).send({ distinct_id: 'rae' });
    const etag = before.headers.etag as string;
    const w = await t.http.post('/v1/engage').set(q.bearer).send({ distinct_id: 'rae', $set: { plan: 'pro' } });
    // The decisions are the same as `before` (the cohort is not recomputed yet): without the
    // token this is a 304; with it, the answer says it is behind instead.
    const plain = await t.http.post('/v1/decide').set(q.bearer).set('If-None-Match', etag).send({ distinct_id: 'rae' });
    expect(plain.status).toBe(304);
    const behind = await t.http.post('/v1/decide').set(q.bearer).set('If-None-Match', etag).send({ distinct_id: 'rae', min_token: w.body.consistency_token, wait: 0 });
    expect(behind.status).toBe(200);
    expect(behind.body.freshness.behind).toBe(true);
    expect(behind.body.flags['by-cohort'].variant).toBe('off');
    const ofrep = await t.http.post('/ofrep/v1/evaluate/flags').set(q.bearer).set('If-None-Match', '*').set('Switchboard-Consistency-Token', w.body.consistency_token).set('Switchboard-Consistency-Wait', '0').send({ context: { targetingKey: 'rae' } });
    expect(ofrep.status).toBe(200);
    expect(ofrep.body.freshness.behind).toBe(true);
    await t.eventDrivenRecompute.flush();
  });
});

describe('read-your-writes in memory mode (REDIS_URL=memory:)', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ REDIS_URL: 'memory:', DEFINITIONS_POLL_MS: '50', EVENT_DRIVEN_FLUSH_MS: '5' });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('hands out tokens and waits for them with the in-process sequence', async () => {
    const p = await project(t, 'memory', ['mo']);
    for (let i = 0; i < 20; i++) {
      const plan = i % 2 === 0 ? 'pro' : 'free';
      const w = await t.http.post('/v1/engage').set(p.bearer).send({ distinct_id: 'mo', $set: { plan } });
      expect(w.body.consistency_token).toMatch(/^ct1\./);
      const d = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: 'mo', min_token: w.body.consistency_token, wait: 5_000 });
      expect(d.body.freshness.behind).toBe(false);
      expect(d.body.flags['by-cohort'].variant).toBe(plan === 'pro' ? 'on' : 'off');
    }
  });
});
