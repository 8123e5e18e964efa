/**
 * Degraded mode only when Redis is slow or away, never because our own event loop was busy
 * (issue 12, item 5). The handshake reader measures its timeout against the reply's arrival:
 * a reply already on the socket when the timer fires still wins.
 */
import { createServer, type Server } from 'node:http';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, waitForRedis } from '../../src/adapters/redis/client.js';
import { createHandshakeReader, RedisTimeout } from '../../src/adapters/redis/handshake-reader.js';
import { createKeys } from '../../src/adapters/redis/keys.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { testRedisUrl } from '../helpers/databases.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('the handshake reader timeout', () => {
  const redis = createRedis({ url: testRedisUrl(), commandTimeoutMs: 10_000 });
  const keys = createKeys(`rt${process.pid}:`);
  const reader = createHandshakeReader({ redis, keys, timeoutMs: 50 });
  afterAll(() => redis.disconnect());

  it('answers when the reply arrived while the process was busy past the timeout', async () => {
    await waitForRedis(redis, 3_000);
    for (let i = 0; i < 20; i++) {
      const read = reader.read(1, `u-${i}`, null, [1, 2, 3], []);
      busy(150); // the event loop is blocked three times longer than the timeout
      await expect(read).resolves.toMatchObject({ personId: null, members: [false, false, false] });
    }
  });

  it('a plain command timeout (what ioredis does) would have answered degraded', async () => {
    const naive = createRedis({ url: testRedisUrl(), commandTimeoutMs: 50 });
    await waitForRedis(naive, 3_000);
    const get = naive.get('nothing');
    busy(150);
    await expect(get).rejects.toThrow(/timed out/i);
    naive.disconnect();
  });

  it('times out when Redis really is slow', async () => {
    const proxy = await startTcpProxy(Number(new URL(testRedisUrl()).port || 6379));
    const slow = createRedis({ url: `redis://127.0.0.1:${proxy.port}/0`, commandTimeoutMs: 10_000 });
    await waitForRedis(slow, 3_000);
    const slowReader = createHandshakeReader({ redis: slow, keys, timeoutMs: 50 });
    proxy.pause();
    const started = performance.now();
    await expect(slowReader.read(1, 'u', null, [1], [])).rejects.toBeInstanceOf(RedisTimeout);
    expect(performance.now() - started).toBeLessThan(1_000);
    proxy.resume();
    slow.disconnect();
    await proxy.close();
  });

  it('fails at once when the connection is not ready', async () => {
    const dead = createRedis({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 10_000 });
    const started = performance.now();
    await expect(createHandshakeReader({ redis: dead, keys, timeoutMs: 5_000 }).read(1, 'u', null, [], [])).rejects.toThrow(/Redis connection is/);
    expect(performance.now() - started).toBeLessThan(100);
    dead.disconnect();
  });
});

describe('a saturated API process with a healthy Redis', () => {
  let t: TestContext;
  let server: Server;
  let p: { id: number; token: string };
  beforeAll(async () => {
    t = await createTestContext({ REDIS_TIMEOUT_MS: '50', RATE_LIMIT_PER_S: '1000000' });
    p = await t.newProject('saturated');
    for (let i = 0; i < 20; i++) {
      const res = await t.http.post(`/v1/projects/${p.id}/flags`).set(t.admin).send({ key: `f${i}`, enabled: true, default_variant: 'off', off_variant: 'off', rules: [{ id: 'half', rollout: 50, serve: { variant: 'on' } }] });
      expect(res.status).toBe(201);
    }
    server = createServer(t.app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
  });
  afterAll(async () => {
    server.close();
    await t.cleanup();
  });

  it('answers no handshake in degraded mode', async () => {
    const { port } = server.address() as { port: number };
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/v1/decide`,
      method: 'POST',
      connections: 32,
      duration: 3,
      headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ distinct_id: `u-${Math.floor(Math.random() * 1000)}` }) }) }],
    });
    const metrics = (await t.http.get('/metrics')).text;
    const degraded = Number(/switchboard_redis_degraded_total (\d+)/.exec(metrics)?.[1] ?? 0);
    console.log(`${result.requests.total} handshakes at saturation (32 connections, 3 s, p99 ${result.latency.p99} ms), ${degraded} degraded`);
    expect(result.non2xx).toBe(0);
    expect(result.requests.total).toBeGreaterThan(500);
    expect(degraded).toBe(0);
  });
});
