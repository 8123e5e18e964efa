/**
 * `npm start` in the explicit embedded mode (DATABASE_URL=embedded, REDIS_URL=memory:) beside
 * the machine's running PostgreSQL and Redis, as a new user would run it (docs/embedded.md):
 * it becomes ready naming the mode, `npm run demo` (on a slice of the real data, to keep the
 * test short) prints the cohort sizes counted from the slice's rows, a handshake answers from
 * the materialized cohorts, and SIGTERM stops everything it started: no PostgreSQL process of
 * its data folder is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/postgres/embedded.js';
import { expectedSizes, writeSlice, type Row } from '../integration/support/demo-slice.js';

const dir = path.join(tmpdir(), `sb-e2e-embedded-${process.pid}`);
let port: number;
let server: ChildProcess;
let serverLog = '';
let slice: string;
let rows: Row[];

/** pids of processes whose command line names `needle` */
function processesNaming(needle: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const env = () => ({ ...process.env, DATABASE_URL: 'embedded', REDIS_URL: 'memory:', SWITCHBOARD_DIR: dir, PORT: String(port), LOG_LEVEL: 'info', RUN_WORKER: '' });

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  port = await freePort();
  slice = path.join(tmpdir(), `sb-e2e-slice-${process.pid}.csv.gz`);
  rows = await writeSlice(slice, '23');
  // Its own process group, signalled whole as a terminal (Ctrl-C) or a service manager does:
  // npm does not pass a SIGTERM sent to it alone on to the script.
  server = spawn('npm', ['start'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  server.stdout!.on('data', (d) => (serverLog += d));
  server.stderr!.on('data', (d) => (serverLog += d));
}, 180_000); // reading the whole data file for the slice: ~20 s on a quiet machine

afterAll(async () => {
  // Only after a failure: whatever of the group is left (npm, the service, its PostgreSQL).
  try {
    process.kill(-server.pid!, 'SIGKILL');
  } catch {
    // the group is gone: the normal case
  }
  for (const pid of processesNaming(dir)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  rmSync(slice, { force: true });
});

describe('npm start in the embedded mode, beside running servers', () => {
  it('becomes ready with the embedded PostgreSQL and the in-process store', async () => {
    let body: { status?: string; mode?: unknown } = {};
    for (let i = 0; i < 240 && body.status !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      if (server.exitCode !== null) throw new Error(`npm start exited (${server.exitCode}):\n${serverLog}`);
      body = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.json(), () => ({}));
    }
    expect(body, serverLog).toMatchObject({ status: 'ready', mode: { postgres: 'embedded', redis: 'memory' } });
    expect(serverLog).toContain('this mode serves ONE process only');
    expect(serverLog).toContain(`data in ${path.join(dir, 'pg')}`);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    expect(metrics).toContain('switchboard_store_mode{postgres="embedded",redis="memory"} 1');
    expect(processesNaming(path.join(dir, 'pg')).length).toBeGreaterThan(0);
  }, 150_000);

  it('runs the demo: the cohort sizes of the rows imported, then a handshake reads them', async () => {
    const demo = await run(['run', 'demo', '--', '--data', slice, '--timeout', '120']);
    expect(demo.code, demo.out).toBe(0);
    const sizes: Record<string, number> = {};
    const table = demo.out.slice(demo.out.indexOf('[5/6]'), demo.out.indexOf('[6/6]'));
    for (const m of table.matchAll(/^\s+(\S+)\s+(?:dynamic|static)\s+active\s+([\d,]+)\s/gm)) sizes[m[1]] = Number(m[2].replace(/,/g, ''));
    expect(sizes, demo.out).toEqual(expectedSizes(rows));

    const token = /token (sbp_\S+)/.exec(demo.out)![1];
    const german = rows.filter((r) => r.Country === 'Germany').at(-1)?.CustomerID;
    const decide = await fetch(`http://127.0.0.1:${port}/v1/decide`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ distinct_id: german ?? 'someone' }) });
    expect(decide.status).toBe(200);
    const body = (await decide.json()) as { configs: Record<string, { value: unknown; rule_id?: string }>; flags: Record<string, unknown> };
    expect(Object.keys(body.flags)).toContain('new-checkout');
    if (german) expect(body.configs['free-shipping']).toMatchObject({ value: { currency: 'EUR', threshold: 60 }, rule_id: 'germany-eur' });
  }, 240_000);

  it('stops on SIGTERM with everything it started: no PostgreSQL process left', async () => {
    // The pipes close when the service has exited too (it holds their other ends).
    const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
    process.kill(-server.pid!, 'SIGTERM');
    await closed;
    expect(serverLog).toContain('embedded PostgreSQL stopped');
    expect(serverLog).toMatch(/"msg":"stopped"/);
    expect(processesNaming(dir)).toEqual([]);
  }, 60_000);
});
