import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, fileStorage, memoryStorage } from '../src/node.js';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';
import { until } from './helpers/fixtures.js';
import { startService, type Service } from './helpers/server.js';

let s: Service;
let proxy: FaultProxy;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sb-sdk-delivery-'));

beforeAll(async () => {
  s = await startService();
  proxy = await startFaultProxy(s.url);
});
afterAll(async () => {
  await proxy?.close();
  await s?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const options = { stream: false, timeoutMs: 2_000, refreshIntervalMs: 0, flushIntervalMs: 20, retryBaseMs: 50, batchSize: 10 };
const stored = async (event: string) => (await s.events({ event })).map((e) => e.insert_id);

describe('delivery', () => {
  it('delivers every event exactly once through 503s, a 429 with Retry-After, dropped connections and lost answers', async () => {
    const c = createClient(s.token, { ...options, host: proxy.url });
    await c.ready();
    const start = proxy.seen.length;
    proxy.script(['503', '503', '429', 'drop', 'lose'], 1);
    for (let i = 0; i < 25; i++) c.track('outage', { n: i });
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 25; i < 40; i++) c.track('outage', { n: i });
    c.people.set({ plan: 'pro' });
    c.people.add({ visits: 1 });
    await until(() => c.stats().queued === 0, 30_000);

    const sends = proxy.seen.slice(start).filter((x) => x.path === '/v1/events');
    expect(sends.slice(0, 5).map((x) => x.mode)).toEqual(['503', '503', '429', 'drop', 'lose']);
    // Retry-After: 1 is honoured even though the backoff alone would retry sooner
    expect(sends[3].at - sends[2].at).toBeGreaterThanOrEqual(990);
    const ids = (await s.events({ event: 'outage' })).map((e) => e.properties.n).sort((a, b) => Number(a) - Number(b));
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // the lost answers were sent again: the server stored each $insert_id once
    const sentIds = sends.flatMap((x) => (x.mode === 'lose' || x.mode === 'pass' ? JSON.parse(x.body).events.map((e: { $insert_id: string }) => e.$insert_id) : []));
    expect(sentIds.length).toBeGreaterThan(new Set(sentIds).size);
    expect(new Set(await stored('outage')).size).toBe(40);
    expect(c.stats()).toMatchObject({ dropped: 0, rejected: 0, queued: 0 });
    expect(c.stats().retries).toBeGreaterThanOrEqual(5);
    await c.close();
  });

  it('keeps at most maxQueue items, dropping and counting the oldest', async () => {
    proxy.setMode('503', 0);
    const c = createClient(s.token, { ...options, host: proxy.url, maxQueue: 50, timeoutMs: 500 });
    for (let i = 0; i < 80; i++) c.track('bounded', { n: i });
    expect(c.stats()).toMatchObject({ queued: 50, dropped: 30 });
    await new Promise((r) => setTimeout(r, 200));
    proxy.setMode('pass');
    expect(await c.flush()).toBe(true);
    const got = (await s.events({ event: 'bounded' })).map((e) => Number(e.properties.n)).sort((a, b) => a - b);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => 30 + i));
    await c.close();
  });

  it('loses nothing queued when the process is killed: the next start with the same file delivers it', async () => {
    const file = path.join(tmp, 'restart.json');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'helpers/child-tracker.ts'), file, 'http://127.0.0.1:1', s.token, '120'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('queued'), 30_000);
    expect(out).toContain('queued 120');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const next = createClient(s.token, { ...options, host: s.url, storage: fileStorage(file) });
    expect(next.stats().queued).toBe(120);
    expect(await next.flush()).toBe(true);
    const got = (await s.events({ event: 'restart test' })).map((e) => Number(e.properties.n)).sort((a, b) => a - b);
    expect(got).toEqual(Array.from({ length: 120 }, (_, i) => i));
    await next.close();
    expect(createClient(s.token, { ...options, host: 'http://127.0.0.1:1', storage: fileStorage(file) }).stats().queued).toBe(0);
  });

  it('sends the alias after the anonymous events and before the identified ones', async () => {
    const c = createClient(s.token, { ...options, host: proxy.url, storage: memoryStorage() });
    await c.ready();
    const start = proxy.seen.length;
    c.track('before login');
    await c.identify('ordered-user');
    c.track('after login');
    c.people.append({ tags: 'x' });
    await c.flush();
    const order = proxy.seen.slice(start).filter((x) => x.path !== '/v1/decide').map((x) => x.path);
    expect(order).toEqual(['/v1/events', '/v1/alias', '/v1/events', '/v1/engage']);
    const anonEvents = await s.events({ event: 'before login' });
    expect(anonEvents.at(-1)?.distinct_id).toBe(c.anonymousId());
    expect((await s.events({ event: 'after login' })).at(-1)?.distinct_id).toBe('ordered-user');
    await c.close();
  });
});
