/**
 * The Unleash OSS frontend API as a peer in `npm run bench:decide` (issue 15): `unleash-server`
 * from npm, installed by the benchmark into a folder outside the repository
 * (`~/.cache/switchboard-bench/unleash`, `BENCH_UNLEASH_DIR`), run against the local
 * PostgreSQL in its own database (`unleash_bench`, dropped and recreated), seeded through its
 * admin API with the same 50 flags as Switchboard's synthetic project, started (pinned like
 * every server) and stopped by the benchmark.
 *
 * The 50 flags in Unleash's terms (it has no materialized cohorts; the nearest is a
 * constraint on a context property, evaluated from what the client sends):
 * - `bool-i`: a cohort rule then a rollout → flexibleRollout (same %) with a constraint on
 *   `country` (any), `plan` (all) or `plan NOT_IN` (none) standing in for the cohort;
 * - `experiment-i`: splits → flexibleRollout 100 % with strategy variants control / treatment
 *   (with its JSON payload) / holdout, weights 34/33/33;
 * - `targeted-i`: JSON Logic conditions → the same conditions as Unleash constraints
 *   (IN, NUM_GTE, SEMVER_GT 2.2.9 for ≥ 2.3.0, STR_STARTS_WITH, …) with the same rollout;
 * - `flagd-i`: fractional → flexibleRollout with the same % (country IN for the even ones);
 * - `static-i`: the default strategy; `killed-i`: created, never enabled.
 * Requests: `POST /api/frontend` with `{ context: { userId, properties } }`, the person's
 * five properties as strings (the frontend API evaluates what the client sends; Switchboard
 * reads them server-side from Redis).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { flags as switchboardFlags, persons } from './fixtures.js';
import { freePort, start, waitHttp, type Child } from './servers.js';

export const UNLEASH_VERSION = process.env.BENCH_UNLEASH_VERSION ?? '7.5.1';
const DIR = process.env.BENCH_UNLEASH_DIR ?? path.join(os.homedir(), '.cache', 'switchboard-bench', 'unleash');
const ADMIN = '*:*.switchboard-bench-admin';
export const FRONTEND_TOKEN = '*:development.switchboard-bench-frontend';
const ENV = 'development';

const START_SCRIPT = `// Written by switchboard's bench/unleash.ts: starts unleash-server on 127.0.0.1:$PORT.
import { start } from 'unleash-server';
const unleash = await start({ server: { port: Number(process.env.PORT), host: '127.0.0.1' }, db: { ssl: false } });
process.on('SIGTERM', () => { unleash.stop().finally(() => process.exit(0)); });
`;

/** Installs unleash-server@UNLEASH_VERSION into DIR unless it is there (npm, ~1 min the first time). */
export function ensureUnleash(): string {
  mkdirSync(DIR, { recursive: true });
  const pkg = path.join(DIR, 'node_modules', 'unleash-server', 'package.json');
  const installed = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version : null;
  if (installed !== UNLEASH_VERSION) {
    console.log(`installing unleash-server@${UNLEASH_VERSION} into ${DIR} (npm) …`);
    if (!existsSync(path.join(DIR, 'package.json'))) writeFileSync(path.join(DIR, 'package.json'), '{"name":"switchboard-bench-unleash","private":true,"type":"module"}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `unleash-server@${UNLEASH_VERSION}`], { cwd: DIR, stdio: 'inherit' });
  }
  writeFileSync(path.join(DIR, 'start-unleash.mjs'), START_SCRIPT);
  return DIR;
}

async function recreateDatabase(url: URL): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  const name = url.pathname.slice(1);
  if (!/bench/.test(name)) throw new Error(`refusing to drop ${name}: the bench database name must contain "bench"`);
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
}

export async function dropUnleashDatabase(url: URL): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}" WITH (FORCE)`);
  await client.end();
}

type Constraint = { contextName: string; operator: string; values?: string[]; value?: string; inverted?: boolean };
type Strategy = { name: string; parameters?: Record<string, string>; constraints?: Constraint[]; variants?: unknown[] };
type UnleashFlag = { name: string; enabled: boolean; strategies: Strategy[] };

const rollout = (name: string, pct: number, constraints: Constraint[] = [], variants?: unknown[]): Strategy => ({
  name: 'flexibleRollout',
  parameters: { rollout: String(pct), stickiness: 'default', groupId: name },
  constraints,
  ...(variants ? { variants } : {}),
});
const IN = (contextName: string, values: string[]): Constraint => ({ contextName, operator: 'IN', values });

/** The "same 50 flags" in Unleash's model (see the header for the mapping). */
export function unleashFlags(): UnleashFlag[] {
  const TARGETED: Constraint[][] = [
    [IN('plan', ['pro'])],
    [IN('country', ['DE', 'AT', 'CH'])],
    [{ contextName: 'signup_days', operator: 'NUM_GTE', value: '30' }],
    [{ contextName: 'app_version', operator: 'SEMVER_GT', value: '2.2.9' }],
    [{ contextName: 'plan', operator: 'NOT_IN', values: ['free'] }, { contextName: 'signup_days', operator: 'NUM_LT', value: '365' }],
    [IN('platform', ['ios', 'android'])],
    [{ contextName: 'app_version', operator: 'STR_STARTS_WITH', values: ['3.'] }],
    [IN('plan', ['team', 'enterprise'])],
    [{ contextName: 'signup_days', operator: 'NUM_GT', value: '900' }],
    [IN('country', ['US'])],
  ];
  return switchboardFlags().map((f, n): UnleashFlag => {
    const key = f.key as string;
    const i = Number(key.split('-').pop());
    if (key.startsWith('bool-')) {
      const cohort = [IN('country', ['DE', 'FR', 'US']), IN('plan', ['pro', 'team']), { contextName: 'plan', operator: 'NOT_IN', values: ['enterprise'] }][i % 3];
      return { name: key, enabled: true, strategies: [rollout(key, 100, [cohort]), rollout(key, (10 + 5 * i) % 100)] };
    }
    if (key.startsWith('experiment-')) {
      const variant = (name: string, weight: number, payload?: unknown) => ({ name, weight, weightType: 'variable', stickiness: 'default', ...(payload ? { payload: { type: 'json', value: JSON.stringify(payload) } } : {}) });
      const variants = [variant('control', 340), variant('treatment', 330, { color: ['blue', 'green'][i % 2], copy: `Variant B of experiment ${i}` }), variant('holdout', 330)];
      return { name: key, enabled: true, strategies: [rollout(key, 100, [], variants)] };
    }
    if (key.startsWith('targeted-')) return { name: key, enabled: true, strategies: [rollout(key, 50 + 5 * i, TARGETED[i])] };
    if (key.startsWith('flagd-')) return { name: key, enabled: true, strategies: [rollout(key, 10 + 10 * i, i % 2 === 0 ? [IN('country', ['DE', 'AT', 'CH'])] : [])] };
    if (key.startsWith('static-')) return { name: key, enabled: true, strategies: [{ name: 'default' }] };
    if (key.startsWith('killed-')) return { name: key, enabled: false, strategies: [rollout(key, 100)] };
    throw new Error(`no Unleash mapping for flag #${n} ${key}`);
  });
}

async function api(base: string, method: string, p: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { authorization: ADMIN, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok && res.status !== 409) throw new Error(`unleash ${method} ${p}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** The frontend API request bodies, one per synthetic person (same order as the handshake's). */
export function unleashBodies(): string[] {
  return persons().map((p) =>
    JSON.stringify({ context: { userId: p.distinctId, properties: { ...p.properties, signup_days: String(p.properties.signup_days) } } }),
  );
}

/**
 * Installs (if needed), recreates its database, starts Unleash pinned to the server core,
 * seeds the 50 flags and waits until the frontend API answers them. `databaseUrl`: the
 * Switchboard bench database's URL; Unleash gets `unleash_bench` on the same server.
 */
export async function startUnleash(databaseUrl: string): Promise<Child & { dbUrl: URL; version: string; enabledForFirst: number }> {
  const dir = ensureUnleash();
  const dbUrl = new URL(databaseUrl);
  dbUrl.pathname = '/unleash_bench';
  await recreateDatabase(dbUrl);
  const port = await freePort();
  const child = start('unleash', [path.join(dir, 'start-unleash.mjs')], {
    DATABASE_URL: dbUrl.toString(),
    DATABASE_SSL: 'false',
    LOG_LEVEL: 'error',
    INIT_ADMIN_API_TOKENS: ADMIN,
    INIT_FRONTEND_API_TOKENS: FRONTEND_TOKEN,
    UNLEASH_TELEMETRY_DISABLED: 'true',
    CHECK_VERSION: 'false',
    SEND_TELEMETRY: 'false',
  }, port, dir);
  await waitHttp(`http://127.0.0.1:${port}/health`, 'GET', child.proc, 180_000, (s) => s === 200);
  const base = `http://127.0.0.1:${port}`;
  for (const name of ['plan', 'country', 'app_version', 'signup_days', 'platform']) {
    await api(base, 'POST', '/api/admin/context', { name, stickiness: false });
  }
  const all = unleashFlags();
  for (const f of all) {
    const fp = `/api/admin/projects/default/features/${f.name}`;
    await api(base, 'POST', '/api/admin/projects/default/features', { name: f.name, type: 'release' });
    for (const s of f.strategies) await api(base, 'POST', `${fp}/environments/${ENV}/strategies`, s);
    if (f.enabled) await api(base, 'POST', `${fp}/environments/${ENV}/on`);
  }
  // The frontend API loads its flags when a token is first used: wait until all enabled ones are known.
  const body = unleashBodies()[0];
  let enabled = 0;
  for (let t = 0; t < 60; t++) {
    const res = await fetch(`${base}/api/frontend`, { method: 'POST', headers: { authorization: FRONTEND_TOKEN, 'content-type': 'application/json' }, body });
    if (res.ok) {
      enabled = ((await res.json()) as { toggles: unknown[] }).toggles.length;
      if (enabled > 0) break;
    } else await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 500));
  }
  if (enabled === 0) throw new Error('the Unleash frontend API answered no enabled flag after seeding');
  return { ...child, dbUrl, version: UNLEASH_VERSION, enabledForFirst: enabled };
}
