/**
 * Continuity under races (issue 12): 1,000 users whose alias and handshake requests interleave
 * concurrently keep their variants, 1,000 of 1,000: the handshake racing the alias (carrying
 * anon_id, as the SDK sends it), and every handshake after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };
const USERS = 1_000;

beforeAll(async () => {
  t = await createTestContext();
  p = await t.newProject('races');
  const res = await t.http.post(`/v1/projects/${p.id}/flags`).set(t.admin).send({
    key: 'layout', enabled: true, default_variant: 'a', off_variant: 'a',
    variants: { a: { value: 'a' }, b: { value: 'b' }, c: { value: 'c' } },
    rules: [{ id: 'test', rollout: 90, serve: { split: [{ variant: 'a', weight: 34 }, { variant: 'b', weight: 33 }, { variant: 'c', weight: 33 }] } }],
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await t.cleanup();
});

const variant = async (body: object): Promise<string> => {
  const res = await t.http.post('/v1/decide').set(p.bearer).send(body);
  expect(res.status).toBe(200);
  return res.body.flags.layout.variant;
};

/** Runs `tasks` with at most `n` in flight. */
async function pooled<T>(tasks: Array<() => Promise<T>>, n: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  }));
  return out;
}

describe('alias and handshakes racing', () => {
  it('keeps every variant for 1,000 users', async () => {
    const users = Array.from({ length: USERS }, (_, i) => ({ anon: `race-anon-${i}`, user: `race-user-${i}@example.com` }));
    // First sight as anonymous visitors (an event creates the person, as the SDK's first track would).
    const ev = await t.http.post('/v1/events').set(p.bearer).send({ events: users.map((u) => ({ event: 'visit', distinct_id: u.anon })) });
    expect(ev.body.stored).toBe(USERS);
    const before = await pooled(users.map((u) => () => variant({ distinct_id: u.anon })), 16);

    // Login: the alias and the next handshakes are in flight together, in varying order.
    const during = await pooled(
      users.map((u, i) => async () => {
        const alias = t.http.post('/v1/alias').set(p.bearer).send({ distinct_id: u.user, alias: u.anon });
        const racing = [variant({ distinct_id: u.user, anon_id: u.anon }), variant({ distinct_id: u.anon })];
        if (i % 3 === 0) racing.push(variant({ distinct_id: u.user, anon_id: u.anon }));
        const [a, ...v] = await Promise.all([alias, ...racing]);
        expect(a.status, JSON.stringify(a.body)).toBe(200);
        return v as string[];
      }),
      16,
    );
    const after = await pooled(users.map((u) => () => variant({ distinct_id: u.user })), 16);

    let kept = 0;
    users.forEach((_, i) => {
      if (during[i].every((v) => v === before[i]) && after[i] === before[i]) kept++;
    });
    expect(kept).toBe(USERS);
  }, 240_000);
});
