/**
 * One fuzz suite over a set of routes: its own database and Redis prefix, the world of
 * world.ts, a real HTTP server on a loopback port, the server's errors captured from its log.
 * Asserts 0 answers of 5xx, no dropped connection, every 4xx in its error shape, and that
 * the service is still ready afterwards.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { createHttpClient, type HttpClient } from '../helpers/http-client.js';
import { listen, type RunningServer } from '../helpers/http-server.js';
import { captureLogs } from '../helpers/log-capture.js';
import { casesOf } from './cases.js';
import type { Route } from './routes.js';
import { buildWorld } from './world.js';
import { failureSummary, fuzzSettings, runFuzz, type FuzzReport } from './runner.js';

export function fuzzSuite(opts: { name: string; routes: Route[]; seed: number; runs: number; before?: () => Promise<unknown> }) {
  let t: TestContext;
  let server: RunningServer;
  let client: HttpClient;
  let logs: ReturnType<typeof captureLogs>;
  let report: FuzzReport | null = null;

  beforeAll(async () => {
    await opts.before?.();
    // Limits would turn most of the run into 429s: the fuzz is about input, not abuse.
    t = await createTestContext({ RATE_LIMIT_PER_S: '1000000000', ADMIN_RATE_LIMIT_PER_S: '1000000000', DEFINITIONS_POLL_MS: '200' });
    server = await listen(t.app);
    // 60 s: a request that takes longer, even on a loaded machine, is counted as dropped
    client = createHttpClient(server.url, { maxSockets: 8, timeoutMs: 60_000 });
    logs = captureLogs(t.logger, 'error');
  }, 120_000);

  afterAll(async () => {
    client?.close();
    logs?.restore();
    await server?.close();
    await t?.cleanup();
  });

  const { runs, only } = fuzzSettings(opts);
  it(`answers ${only ? only.size : runs} hostile requests with no 5xx, no dropped connection, and 4xx in the error shape`, async () => {
    const world = await buildWorld(t);
    report = await runFuzz({ name: opts.name, seed: opts.seed, runs: opts.runs, concurrency: 8 }, casesOf(opts.routes, world), { client, logs, baseUrl: server.url });
    expect(report.sent).toBe(only ? only.size : runs);
    expect(report.failures.length, `failure classes:\n${failureSummary(report)}`).toBe(0);
  }, 300_000);

  it('is still ready and deciding afterwards', async () => {
    const ready = await client.json('GET', '/readyz');
    expect(ready.ok && ready.status, JSON.stringify(ready.json)).toBe(200);
    const p = await t.newProject('after-fuzz');
    const decide = await client.json('POST', '/v1/decide', { distinct_id: 'after' }, { Authorization: `Bearer ${p.token}` });
    expect(decide.ok && decide.status).toBe(200);
  });
}
