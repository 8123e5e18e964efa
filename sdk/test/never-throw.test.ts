/**
 * Never-throw (PRODUCT.md 11): every public method, called with arbitrary arguments
 * (fast-check, fixed seed), against a dead host, a host answering garbage and a host that
 * hangs: nothing throws, nothing rejects, no unhandled rejection, and lookups answer the
 * caller's default with a reason. Hosts are loopback servers this file starts.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, memoryStorage, type SwitchboardClient } from '../src/index.js';

const SEED = 20261121;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const hosts: Record<string, string> = {};
const closers: Array<() => Promise<void>> = [];

const GARBAGE: Array<[number, Record<string, string>, string | Buffer]> = [
  [200, { 'Content-Type': 'application/json' }, 'not json {'],
  [200, { 'Content-Type': 'application/json' }, '{"flags": 5, "configs": [], "surveys": {}}'],
  [200, { 'Content-Type': 'application/json' }, '{"flags":{"beta":{"value":1}},"configs":{},"surveys":[null,{"key":1}]}'],
  [200, { 'Content-Type': 'application/octet-stream' }, Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x9f])],
  [304, {}, ''],
  [500, { 'Content-Type': 'text/html' }, '<html>oops</html>'],
  [429, { 'Retry-After': 'soon' }, ''],
  [200, { 'Content-Type': 'application/json' }, '[]'],
  [200, { ETag: '"x"', 'Content-Type': 'application/json' }, 'null'],
];

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  // dead: a port that was bound, then released
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  hosts.dead = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
  await new Promise((r) => dead.close(r));
  // garbage: well-formed HTTP with bodies and statuses no Switchboard sends
  let n = 0;
  const garbage = http.createServer((req, res) => {
    req.resume();
    const [status, headers, body] = GARBAGE[n++ % GARBAGE.length];
    res.writeHead(status, headers).end(body);
  });
  await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
  hosts.garbage = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
  // hang: accepts connections, never answers
  const sockets = new Set<net.Socket>();
  const hang = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  hosts.hang = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
  closers.push(
    async () => {
      garbage.closeAllConnections();
      await new Promise((r) => garbage.close(r));
    },
    async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hang.close(r));
    },
  );
});
afterAll(async () => {
  for (const c of closers) await c();
  process.off('unhandledRejection', onUnhandled);
});

const anything = () => fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true, maxDepth: 3 });
const METHODS = ['isEnabled', 'getVariant', 'getPayload', 'getConfig', 'getDecision', 'getSurveys', 'onChange', 'onStatus', 'status', 'identify', 'reset', 'refresh', 'distinctId', 'anonymousId', 'track', 'page', 'people.set', 'people.setOnce', 'people.add', 'people.unset', 'people.append', 'people.union', 'people.remove', 'surveyShown', 'answerSurvey', 'flush', 'stats'] as const;
const call = fc.record({ method: fc.constantFrom(...METHODS), args: fc.array(anything(), { maxLength: 3 }) });

/** Calls one method; returns what it returned (awaited when it is a promise) and checks lookups. */
async function invoke(c: SwitchboardClient, method: (typeof METHODS)[number], args: unknown[]): Promise<void> {
  const [target, name] = method.startsWith('people.') ? [c.people as unknown as Record<string, (...a: unknown[]) => unknown>, method.slice(7)] : [c as unknown as Record<string, (...a: unknown[]) => unknown>, method];
  const out = target[name](...args);
  if (out instanceof Promise) {
    let settled = false;
    await Promise.race([out.then(() => (settled = true)), new Promise((r) => setTimeout(r, 5_000))]);
    expect(settled, `${method} settled`).toBe(true);
  }
  if (['isEnabled', 'getVariant', 'getPayload', 'getConfig'].includes(method) && args.length >= 2) expect(out).toBe(args[1]);
  if (method === 'getDecision') expect(out).toMatchObject({ reason: 'ERROR', error_code: expect.any(String), value: null });
}

describe.each(['dead', 'garbage', 'hang'])('never throws against a %s host', (kind) => {
  it('any method, any arguments', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 8 }), async (calls) => {
        const c = createClient('sbp_test', { host: hosts[kind], storage: memoryStorage(), timeoutMs: 50, refreshIntervalMs: 0, flushIntervalMs: 5, retryBaseMs: 20 });
        for (const { method, args } of calls) await invoke(c, method, args);
        await c.ready();
        await c.close();
      }),
      { seed: SEED, numRuns: kind === 'hang' ? 20 : 40, endOnFailure: true },
    );
    // createClient itself with arbitrary token and options (host pinned to this loopback server)
    await fc.assert(
      fc.asyncProperty(anything(), fc.dictionary(fc.constantFrom('storage', 'fetch', 'bootstrap', 'flushIntervalMs', 'maxQueue', 'batchSize', 'refreshIntervalMs', 'distinctId', 'anonymousId', 'personProperties', 'onSurvey', 'onError', 'retryBaseMs'), anything()), async (token, opts) => {
        const c = createClient(token as string, { ...(opts as object), timeoutMs: 50, host: hosts[kind], fetch: undefined, storage: memoryStorage() });
        c.isEnabled('beta', false);
        c.track('x', { a: 1 });
        await c.ready();
        await c.close();
      }),
      { seed: SEED, numRuns: 30, endOnFailure: true },
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  }, 60_000);
});
