import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; bearer: { Authorization: string } };

beforeAll(async () => {
  // The background version poll is not part of a handshake; keep it out of the count window.
  t = await createTestContext({ DEFINITIONS_POLL_MS: '60000' });
  p = await t.newProject('budget');
  // 20 cohorts referenced by 50 flags: the handshake must still read Redis once.
  for (let i = 0; i < 20; i++) {
    await t.pool.query(
      `INSERT INTO cohorts (project_id, key, name, kind, definition, state, version, last_calculated_at)
       VALUES ($1, $2, $2, 'static', NULL, 'active', 1, now())`,
      [p.id, `c${i}`],
    );
  }
  for (let i = 0; i < 50; i++) {
    const res = await t.http.post(`/v1/projects/${p.id}/flags`).set(t.admin).send({
      key: `f${i}`, enabled: true, default_variant: 'off', off_variant: 'off',
      rules: [
        { id: 'members', cohorts: { any: [`c${i % 20}`, `c${(i + 7) % 20}`] }, serve: { variant: 'on' } },
        { id: 'rollout', rollout: 30, serve: { variant: 'on' } },
      ],
    });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await t.cleanup();
});

describe('handshake budget', () => {
  it('makes one Redis round trip and no PostgreSQL query per handshake after warm-up', async () => {
    for (let i = 0; i < 5; i++) await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: `warm-${i}` }).expect(200);

    // Count real calls by wrapping (not replacing) the clients' entry points.
    let redisCommands = 0;
    let pgQueries = 0;
    const redis = t.redis as unknown as { sendCommand: (...a: unknown[]) => unknown };
    const sendCommand = redis.sendCommand;
    redis.sendCommand = function (this: unknown, ...args: unknown[]) {
      redisCommands++;
      return sendCommand.apply(this, args);
    };
    const pool = t.pool as unknown as { query: (...a: unknown[]) => unknown; connect: (...a: unknown[]) => unknown };
    const query = pool.query;
    const connect = pool.connect;
    pool.query = function (this: unknown, ...args: unknown[]) {
      pgQueries++;
      return query.apply(this, args);
    };
    pool.connect = function (this: unknown, ...args: unknown[]) {
      pgQueries++;
      return connect.apply(this, args);
    };
    try {
      for (let i = 0; i < 100; i++) {
        const res = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: `user-${i}` });
        expect(res.status).toBe(200);
        expect(Object.keys(res.body.flags)).toHaveLength(50);
      }
    } finally {
      redis.sendCommand = sendCommand;
      pool.query = query;
      pool.connect = connect;
    }
    expect(redisCommands).toBe(100);
    expect(pgQueries).toBe(0);
  });
});
