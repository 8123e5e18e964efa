/**
 * The support CLI (`switchboard persons|explain|cohorts|keys`, src/cli/support.ts) run as a
 * subprocess, as support staff run it, against a running server (the test's app on a
 * loopback port): each command, text and `--json`, the admin key from the environment and
 * from a 0600 config file (a looser one is refused), API errors as exit code 1.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { listen, type RunningServer } from '../helpers/http-server.js';

const run = promisify(execFile);
let t: TestContext;
let server: RunningServer;
let p: { id: number; bearer: { Authorization: string } };
let home: string;

/** Runs `switchboard <args>`; never throws: exit code, stdout, stderr. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const base = { PATH: process.env.PATH ?? '', HOME: home, SWITCHBOARD_URL: server.url, SWITCHBOARD_ADMIN_KEY: t.adminKey };
  try {
    const r = await run(process.execPath, ['bin/switchboard.js', ...args], { env: { ...base, ...env }, timeout: 150_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout, err: x.stderr };
  }
}
const json = async (args: string[], env?: Record<string, string>) => {
  const r = await cli([...args, '--json'], env);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
};

beforeAll(async () => {
  t = await createTestContext();
  server = await listen(t.app);
  p = await t.newProject('support');
  home = mkdtempSync(path.join(tmpdir(), 'sb-support-'));
  const admin = (rel: string) => `/v1/projects/${p.id}${rel}`;
  await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'pins', name: 'Support pins', kind: 'static' }).expect(201);
  await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'de', name: 'Germany', kind: 'dynamic', definition: { type: 'AND', values: [{ type: 'person', key: 'country', operator: 'eq', value: 'Germany' }] } }).expect(201);
  await t.http.post(admin('/cohorts')).set(t.admin).send({ key: 'old', name: 'Old', kind: 'dynamic', definition: { type: 'AND', values: [{ type: 'person', key: 'country', operator: 'eq', value: 'France' }] } }).expect(201);
  await t.http.post('/v1/engage').set(p.bearer).send({ updates: [{ distinct_id: 'hans', $set: { country: 'Germany' } }] }).expect(200);
  await t.http.post(admin('/flags')).set(t.admin).send({ key: 'de-banner', kind: 'boolean', enabled: true, rules: [{ id: 'germans', cohorts: { any: ['de'] }, serve: { variant: 'on' } }] }).expect(201);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await t?.cleanup();
  rmSync(home, { recursive: true, force: true });
});

// Each command is a new Node process (tsx loads the CLI's import graph): seconds apiece under load.
describe('switchboard support CLI', { timeout: 300_000 }, () => {
  it('cohorts refresh, list, show, and the lifecycle', async () => {
    const refreshed = await json(['cohorts', 'refresh', 'de', '--project', String(p.id)]);
    await t.http.post(`/v1/projects/${p.id}/cohorts/old/refresh`).set(t.admin).expect(200);
    expect(refreshed.outcome).toMatchObject({ status: 'ok', member_count: 1 });
    const list = await json(['cohorts', 'list', '--project', String(p.id)]);
    expect(list.map((c: { key: string }) => c.key).sort()).toEqual(['de', 'old', 'pins']);
    const text = await cli(['cohorts', 'list', '--project', String(p.id)]);
    expect(text.out).toMatch(/^de +dynamic +active +1 members/m);
    expect((await cli(['cohorts', 'show', 'de', '--project', String(p.id)])).out).toMatch(/^member_count +1$/m);
    expect((await cli(['cohorts', 'pause', 'old', '--project', String(p.id)])).out.trim()).toBe('cohort old: paused');
    expect((await json(['cohorts', 'resume', 'old', '--project', String(p.id)])).state).not.toBe('paused');
    expect((await json(['cohorts', 'archive', 'old', '--project', String(p.id)])).state).toBe('archived');
  });

  it('cohorts upload adds, --replace replaces, and prints the report', async () => {
    const csv = path.join(home, 'pins.csv');
    writeFileSync(csv, 'distinct_id,note\nagent-1,a\nagent-2,b\n');
    const added = await cli(['cohorts', 'upload', 'pins', csv, '--project', String(p.id)]);
    expect(added.code, added.err).toBe(0);
    expect(added.out).toContain(`uploaded ${csv} to cohort pins (add):`);
    writeFileSync(csv, 'distinct_id\nagent-3\n');
    const replaced = await json(['cohorts', 'upload', 'pins', csv, '--project', String(p.id), '--replace']);
    expect(replaced).toBeTypeOf('object');
    const { rows } = await t.pool.query<{ distinct_id: string }>('SELECT distinct_id FROM static_cohort_members WHERE project_id = $1 ORDER BY 1', [p.id]);
    expect(rows.map((r) => r.distinct_id)).toEqual(['agent-3']);
  });

  it('persons show and explain, readable and as JSON', async () => {
    const person = await json(['persons', 'show', 'hans', '--project', String(p.id)]);
    expect(person.distinct_ids).toEqual(['hans']);
    expect(person.cohorts.map((c: { key: string }) => c.key)).toContain('de');
    const text = await cli(['persons', 'show', 'hans', '--project', String(p.id)]);
    expect(text.out).toMatch(/country: Germany/);
    expect(text.out).toMatch(/^ {2}de +dynamic +active {2}as of /m);
    expect(text.out).not.toContain('\u001b['); // not a TTY: no colour

    const explained = await json(['explain', 'hans', '--project', String(p.id), '--key', 'de-banner']);
    expect(explained.decisions.flags['de-banner']).toMatchObject({ value: true, reason: 'TARGETING_MATCH', rule_id: 'germans' });
    expect(explained.decisions.flags['de-banner'].trace[0]).toMatchObject({ rule_id: 'germans', result: 'matched' });
    const readable = await cli(['explain', 'hans', '--project', String(p.id)]);
    expect(readable.out).toContain('de-banner = true (on)  TARGETING_MATCH rule germans');
    expect(readable.out).toMatch(/✓ rule germans: matched/);
    expect(readable.out).toContain('cohort de (any): member=true state=active');
  });

  it('keys create, list and revoke', async () => {
    const created = await json(['keys', 'create', '--name', 'support laptop', '--scope', 'read', '--project', String(p.id)]);
    expect(created.key).toMatch(/^sba_/);
    const listed = await cli(['keys', 'list', '--project', String(p.id)]);
    expect(listed.out).toMatch(/support laptop +read/);
    expect(listed.out).not.toContain(created.key);
    const revoked = await cli(['keys', 'revoke', String(created.id), '--project', String(p.id)]);
    expect(revoked.out).toContain(`revoked key ${created.id} (support laptop)`);
    // the revoked key no longer works
    const denied = await cli(['cohorts', 'list', '--project', String(p.id)], { SWITCHBOARD_ADMIN_KEY: created.key });
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/^error: 401 /);
  });

  it('reads the key from a 0600 config file, refuses a looser one, and reports API errors', async () => {
    const file = path.join(home, 'cli.json');
    writeFileSync(file, JSON.stringify({ url: server.url, admin_key: t.adminKey }));
    chmodSync(file, 0o644);
    const loose = await cli(['cohorts', 'list', '--project', String(p.id), '--config', file], { SWITCHBOARD_ADMIN_KEY: '', SWITCHBOARD_URL: '' });
    expect(loose.code).toBe(1);
    expect(loose.err).toContain('permissions 644 are too open');
    chmodSync(file, 0o600);
    const ok = await cli(['cohorts', 'list', '--project', String(p.id), '--config', file], { SWITCHBOARD_ADMIN_KEY: '', SWITCHBOARD_URL: '' });
    expect(ok.code, ok.err).toBe(0);
    const missing = await cli(['cohorts', 'show', 'nope', '--project', String(p.id)]);
    expect(missing.code).toBe(1);
    expect(missing.err.trim()).toBe('error: 404 not_found: cohort nope not found');
    const noKey = await cli(['cohorts', 'list', '--project', String(p.id)], { SWITCHBOARD_ADMIN_KEY: '' });
    expect(noKey.err).toContain('no admin key');
  });
});
