import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { listen, type RunningServer } from '../helpers/http-server.js';

// OFREP ADR-0008 end to end: the bulk answer advertises `eventStreams`, the real OpenFeature web
// provider opens it and re-fetches on `refetchEvaluation`, with polling off.

let t: TestContext;
let server: RunningServer;
let p: { id: number; token: string; bearer: { Authorization: string } };
const admin = (path: string) => `/v1/projects/${p.id}${path}`;
const ok = (res: { status: number; body: unknown }) => {
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body as Record<string, any>;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** EventSource connections the provider opened (Node 20 has no global EventSource). */
const opened: { url: string; open: boolean }[] = [];
class RecordingEventSource extends EventSource {
  constructor(url: string | URL, init?: ConstructorParameters<typeof EventSource>[1]) {
    super(url, init);
    const entry = { url: String(url), open: false };
    opened.push(entry);
    this.addEventListener('open', () => void (entry.open = true));
  }
}
/** Bulk requests the provider sent: status and query. */
const bulk: { status: number; query: string }[] = [];
const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.pathname === '/ofrep/v1/evaluate/flags') bulk.push({ status: res.status, query: url.search });
  return res;
};

beforeAll(async () => {
  (globalThis as { EventSource?: unknown }).EventSource = RecordingEventSource;
  t = await createTestContext();
  server = await listen(t.app);
  p = await t.newProject('ofrep-stream');
  ok(await t.http.post(admin('/flags')).set(t.admin).send({ key: 'banner', enabled: true, default_variant: 'off', off_variant: 'off', rules: [] }));
  ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'others', name: 'Others', kind: 'static' }));
});
afterAll(async () => {
  await OpenFeature.close();
  delete (globalThis as { EventSource?: unknown }).EventSource;
  await server?.close();
  await t?.cleanup();
});

describe('OFREP eventStreams (ADR-0008)', () => {
  it('the bulk answer lists the change stream, and keeps its ETag and 304', async () => {
    const res = await t.http.post('/ofrep/v1/evaluate/flags').set(p.bearer).send({ context: { targetingKey: 'u0' } });
    expect(res.status).toBe(200);
    expect(res.body.eventStreams).toEqual([{ type: 'sse', endpoint: { requestUri: `/ofrep/v1/stream?token=${encodeURIComponent(p.token)}` }, inactivityDelaySec: 120 }]);
    expect(res.headers.etag).toBeTruthy();
    const again = await t.http.post('/ofrep/v1/evaluate/flags').set({ ...p.bearer, 'If-None-Match': res.headers.etag }).send({ context: { targetingKey: 'u0' } });
    expect(again.status).toBe(304);
    // the provider's SSE-triggered re-fetch carries query metadata: still a 304
    const sseTriggered = await t.http.post('/ofrep/v1/evaluate/flags?flagConfigEtag=%22v1%22&flagConfigLastModified=1').set({ ...p.bearer, 'If-None-Match': res.headers.etag }).send({ context: { targetingKey: 'u0' } });
    expect(sseTriggered.status).toBe(304);
    // the advertised URL is the stream itself
    const stream = await fetch(`${server.url}${res.body.eventStreams[0].endpoint.requestUri}`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    await stream.body?.cancel();
  });

  it('@openfeature/ofrep-web-provider opens it and an edit reaches its evaluation without polling', { timeout: 60_000 }, async () => {
    await OpenFeature.setContext({ targetingKey: 'web-user' });
    const provider = new OFREPWebProvider({ baseUrl: server.url, headers: [['Authorization', `Bearer ${p.token}`]], pollInterval: 0, fetchImplementation: recordingFetch });
    await OpenFeature.setProviderAndWait(provider);
    const client = OpenFeature.getClient();
    expect(client.getBooleanValue('banner', true)).toBe(false);
    await until('the provider to open the stream', () => opened.some((o) => o.open));
    expect(new URL(opened[0].url).pathname).toBe('/ofrep/v1/stream');
    expect(bulk.map((b) => b.status)).toEqual([200]);

    // a change that is not this user's: the provider re-fetches and is answered 304
    ok(await t.http.post(admin('/cohorts/others/members')).set(t.admin).send({ distinct_ids: ['someone-else'] }));
    await until('an SSE-triggered re-fetch', () => bulk.length >= 2);
    expect(bulk[1].status).toBe(304);
    expect(bulk[1].query).toContain('flagConfigEtag=');
    expect(client.getBooleanValue('banner', true)).toBe(false);

    // an edit: refetchEvaluation, a 200 and ConfigurationChanged, with no poll timer
    const changed = new Promise<string[]>((resolve) => client.addHandler(ProviderEvents.ConfigurationChanged, (e) => resolve(e?.flagsChanged ?? [])));
    const current = ok(await t.http.get(admin('/flags/banner')).set(t.admin));
    const t0 = performance.now();
    ok(await t.http.put(admin('/flags/banner')).set(t.admin).set('If-Match', String(current.version)).send({ enabled: true, default_variant: 'on', off_variant: 'off', rules: [] }));
    expect(await changed).toContain('banner');
    console.log(`OFREP web provider: edit reached the evaluation in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(client.getBooleanValue('banner', false)).toBe(true);
    expect(bulk.at(-1)!.status).toBe(200);
  });
});
