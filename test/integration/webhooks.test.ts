import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookSender } from '../../src/adapters/http/webhook-sender.js';
import { webhooksCommand } from '../../src/cli/webhooks.js';
import { composeAll } from '../../src/composition.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let p: { id: number; token: string; bearer: { Authorization: string } };
const admin = (path: string) => `/v1/projects/${p.id}${path}`;
const ok = (res: { status: number; body: unknown }) => {
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body as Record<string, any>;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A local receiver: verifies every signature with the standardwebhooks library, dedups by webhook-id. */
interface Received {
  id: string;
  type: string;
  data: any;
}
function receiver() {
  const requests: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const unique = new Map<string, Received>();
  const state = { failFirst: 0, hold: null as null | ((release: (status: number) => void) => void), secret: '' , badSignatures: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body });
      try {
        const msg = new Webhook(state.secret).verify(body, req.headers as Record<string, string>) as { type: string; data: unknown };
        const id = String(req.headers['webhook-id']);
        if (!unique.has(id)) unique.set(id, { id, type: msg.type, data: msg.data });
      } catch {
        state.badSignatures++;
      }
      if (state.failFirst > 0) {
        state.failFirst--;
        res.writeHead(500).end('not now');
        return;
      }
      if (state.hold) {
        const h = state.hold;
        state.hold = null;
        h((status) => res.writeHead(status).end());
        return;
      }
      res.writeHead(200).end('ok');
    });
  });
  return { server, requests, unique, state };
}

let rx: ReturnType<typeof receiver>;
let rxUrl = '';

async function until(cond: () => boolean, tick: () => Promise<unknown>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await tick();
    await sleep(30);
  }
}

beforeAll(async () => {
  t = await createTestContext({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_TIMEOUT_MS: '1000', WEBHOOK_DISABLE_AFTER: '5' });
  p = await t.newProject('hooks');
  rx = receiver();
  await new Promise<void>((r) => rx.server.listen(0, '127.0.0.1', r));
  rxUrl = `http://127.0.0.1:${(rx.server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  rx?.server.closeAllConnections();
  await new Promise((r) => rx?.server.close(r));
  await t.cleanup();
});

describe('server-side request forgery guard', () => {
  it('refuses loopback, private, link-local and credentialed URLs unless allowed', async () => {
    const guard = createWebhookSender({ allowPrivate: false });
    for (const url of ['http://127.0.0.1/x', 'http://localhost:8080/', 'http://[::1]/', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://172.20.0.1/', 'http://169.254.169.254/latest', 'http://[fd00::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/']) {
      expect(await guard.refusal(url), url).toMatch(/private|loopback/);
    }
    expect(await guard.refusal('ftp://example.com/')).toMatch(/https/);
    expect(await guard.refusal('https://user:pw@93.184.216.34/')).toMatch(/credentials/);
    expect(await guard.refusal('https://93.184.216.34/hook')).toBeNull();
    expect(await createWebhookSender({ allowPrivate: true }).refusal('http://127.0.0.1/x')).toBeNull();
    // and the connection's own lookup refuses a name resolving to loopback (DNS rebinding)
    const r = await guard.send('http://localhost:9/', {}, '{}', 1000);
    expect(r.status).toBeNull();
    expect(r.error).toMatch(/private/);
  });

  it('the admin API names the field on bad input', async () => {
    const bad = await t.http.post(admin('/webhooks')).set(t.admin).send({ url: rxUrl, event_types: ['flag.nope'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^event_types/);
    const noUrl = await t.http.post(admin('/webhooks')).set(t.admin).send({ url: 'not a url', event_types: ['flag.changed'] });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.error.message).toMatch(/^url/);
  });
});

describe('delivery', () => {
  let endpoint: Record<string, any>;

  it('signs every attempt, retries a failing receiver, and delivers every change exactly once after dedup', async () => {
    endpoint = ok(await t.http.post(admin('/webhooks')).set(t.admin).send({ url: rxUrl, event_types: ['flag.changed', 'config.changed', 'cohort.state_changed', 'cohort.refreshed', 'cohort.members_changed', 'webhook.endpoint_disabled'] }));
    expect(endpoint.secret).toMatch(/^whsec_/);
    rx.state.secret = endpoint.secret;
    rx.state.failFirst = 3;

    ok(await t.http.post(admin('/flags')).set(t.admin).send({ key: 'f1', enabled: true, default_variant: 'off', off_variant: 'off', rules: [] }));
    ok(await t.http.put(admin('/flags/f1')).set(t.admin).set('If-Match', '1').send({ enabled: true, default_variant: 'on', off_variant: 'off', rules: [] }));
    ok(await t.http.post(admin('/flags/f1/kill')).set(t.admin));
    ok(await t.http.post(admin('/configs')).set(t.admin).send({ key: 'c1', schema: { type: 'integer' }, default: 1, rules: [] }));
    // a change that rolls back after its audit entry (and so its outbox row) was written
    await expect(
      t.tx.run(async (db) => {
        await t.audit.write({ projectId: p.id, actor: 'test', action: 'update', entityKind: 'flag', entityKey: 'rolled-back', after: { version: 9 } }, db);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    // a cohort: created, materialized (refreshed + members), paused
    ok(await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'vip', name: 'VIP', kind: 'static' }));
    ok(await t.http.post(admin('/cohorts/vip/members')).set(t.admin).send({ distinct_ids: ['a', 'b'] }));
    ok(await t.http.post(admin('/cohorts/vip/pause')).set(t.admin));

    const expected = 4 + 2 + 1; // 3 flag changes, 1 config, refreshed + members_changed, state_changed
    await until(() => rx.unique.size >= expected, () => t.webhooks.dispatcher.tick());
    await sleep(300);
    await t.webhooks.dispatcher.tick();
    expect(rx.state.badSignatures).toBe(0);
    expect(rx.requests.length).toBeGreaterThanOrEqual(expected + 3);
    const seen = [...rx.unique.values()];
    expect(seen.filter((e) => e.type === 'flag.changed').map((e) => e.data.action)).toEqual(['create', 'update', 'kill']);
    expect(seen.filter((e) => e.type === 'flag.changed').every((e) => e.data.key === 'f1')).toBe(true);
    expect(seen.filter((e) => e.type === 'config.changed')).toHaveLength(1);
    const refreshed = seen.find((e) => e.type === 'cohort.refreshed')!;
    expect(refreshed.data).toMatchObject({ key: 'vip', member_count: 2, member_count_delta: 2 });
    const members = seen.find((e) => e.type === 'cohort.members_changed')!;
    expect(members.data.entered.map((m: any) => m.distinct_id).sort()).toEqual(['a', 'b']);
    expect(members.data.left).toEqual([]);
    expect(seen.find((e) => e.type === 'cohort.state_changed')!.data).toMatchObject({ key: 'vip', from: 'active', to: 'paused' });
    expect(seen).toHaveLength(expected);
    expect(JSON.stringify(seen)).not.toContain('rolled-back');

    // the delivery log: every attempt with its status and latency
    const log = ok(await t.http.get(admin(`/webhooks/${endpoint.id}/deliveries`)).set(t.admin));
    expect(log.data).toHaveLength(expected);
    expect(log.data.every((d: any) => d.state === 'delivered')).toBe(true);
    const attempts = log.data.flatMap((d: any) => d.log);
    expect(attempts.filter((a: any) => a.status === 500)).toHaveLength(3);
    expect(attempts.every((a: any) => typeof a.latency_ms === 'number')).toBe(true);
  });

  it('a service restart mid-delivery redelivers the same webhook-id (deduplicated once)', async () => {
    const before = rx.unique.size;
    const crashed = composeAll(t.config, { logger: pino({ level: 'silent' }) });
    await crashed.start();
    let release: ((status: number) => void) | null = null;
    rx.state.hold = (r) => (release = r);
    ok(await t.http.post(admin('/flags')).set(t.admin).send({ key: 'f2', enabled: true, default_variant: 'off', off_variant: 'off', rules: [] }));
    const inflight = crashed.webhooks.dispatcher.tick().catch(() => 0);
    await until(() => release !== null, async () => {});
    // the process dies after the receiver got the message, before the attempt is recorded
    await crashed.pool.end();
    release!(200);
    await inflight;
    await crashed.close().catch(() => {});
    const sent = rx.requests.length;
    // the restarted service (this context) delivers it again once the dead process's hold expires
    await until(() => rx.requests.length > sent, () => t.webhooks.dispatcher.tick(), 20_000);
    const ids = rx.requests.slice(sent - 1).map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    expect(rx.unique.size).toBe(before + 1);
    expect([...rx.unique.values()].at(-1)!.data.key).toBe('f2');
  }, 40_000);

  it('manual redelivery sends the same message again', async () => {
    const log = ok(await t.http.get(admin(`/webhooks/${endpoint.id}/deliveries?limit=1`)).set(t.admin));
    const sent = rx.requests.length;
    expect((await t.http.post(admin(`/webhook-deliveries/${log.data[0].id}/redeliver`)).set(t.admin)).status).toBe(202);
    await until(() => rx.requests.length > sent, () => t.webhooks.dispatcher.tick());
    expect(rx.requests.at(-1)!.headers['webhook-id']).toBe(log.data[0].webhook_id);
  });

  it('disables an endpoint after repeated failures and announces it', async () => {
    const dead = ok(await t.http.post(admin('/webhooks')).set(t.admin).send({ url: 'http://127.0.0.1:9/nothing-listens', event_types: ['flag.changed'] }));
    for (let i = 0; i < 5; i++) ok(await t.http.post(admin('/flags')).set(t.admin).send({ key: `dead-${i}`, enabled: true, default_variant: 'off', off_variant: 'off', rules: [] }));
    await until(() => [...rx.unique.values()].some((e) => e.type === 'webhook.endpoint_disabled'), () => t.webhooks.dispatcher.tick());
    const got = ok(await t.http.get(admin(`/webhooks/${dead.id}`)).set(t.admin));
    expect(got.enabled).toBe(false);
    expect(got.disabled_reason).toMatch(/5 failed attempts/);
    const note = [...rx.unique.values()].find((e) => e.type === 'webhook.endpoint_disabled')!;
    expect(note.data.endpoint_id).toBe(dead.id);
    // re-enabling resets the count
    const again = ok(await t.http.patch(admin(`/webhooks/${dead.id}`)).set(t.admin).send({ enabled: false }));
    expect(again.enabled).toBe(false);
    expect((await t.http.delete(admin(`/webhooks/${dead.id}`)).set(t.admin)).status).toBe(204);
  });

  it('the CLI manages endpoints with the same rules', async () => {
    const out: string[] = [];
    const log = console.log;
    console.log = (x: string) => out.push(x);
    const run = (...args: string[]) => webhooksCommand(() => t.config).parseAsync(args, { from: 'user' });
    try {
      await run('add', rxUrl, '--project', String(p.id), '--events', 'survey.changed,person.deleted');
      const added = JSON.parse(out.pop()!);
      expect(added.secret).toMatch(/^whsec_/);
      expect(added.event_types).toEqual(['survey.changed', 'person.deleted']);
      await run('list', '--project', String(p.id));
      expect(JSON.parse(out.pop()!).map((e: any) => e.id)).toContain(added.id);
      await run('update', String(added.id), '--project', String(p.id), '--disable');
      expect(JSON.parse(out.pop()!).enabled).toBe(false);
      await run('remove', String(added.id), '--project', String(p.id));
      await expect(run('add', 'ftp://x', '--project', String(p.id), '--events', 'flag.changed')).rejects.toThrow(/url/);
    } finally {
      console.log = log;
    }
  });
});
