/**
 * The support staff's commands of `switchboard` (PRODUCT.md 10, issue 18), all against a
 * running server's admin API (support-client.ts: `--url`, admin key from SWITCHBOARD_ADMIN_KEY
 * or a 0600 config file), never the database:
 *   persons show <distinct_id> --project P          profile, ids, cohorts with freshness
 *   explain <distinct_id> --project P [--key K]     every decision with its trace
 *   cohorts upload <key> <file.csv> --project P [--replace]
 *   cohorts list|show|pause|resume|archive|refresh
 *   keys create|revoke|list
 * Every command takes `--json` (the API's body, for scripts) and exits 1 on an API error,
 * printing `error: <status> <code>: <message>`.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { ConfigError, loadClientConfig } from '../config.js';
import { ApiError, createApiClient, type ApiClient, type ClientOptions } from './support-client.js';
import { cohortListLines, explainLines, keyLines, objectLines, painter, personLines, type Paint } from './support-print.js';

interface Common extends ClientOptions {
  project: string;
  json?: boolean;
}

type Json = Record<string, unknown>;

const enc = encodeURIComponent;

/** Adds the options every support command shares. */
function common(cmd: Command, project = true): Command {
  if (project) cmd.requiredOption('--project <id>', 'project id');
  return cmd
    .option('--url <url>', 'the server (default SWITCHBOARD_URL, the config file, http://HOST:PORT)')
    .option('--config <file>', 'config file with { url, admin_key } (mode 600); default ~/.config/switchboard/cli.json')
    .option('--json', 'print the API answer as JSON');
}

/** Runs `fn` with a client; prints its lines or, with --json, its JSON; maps errors to exit 1. */
async function run(opts: Common, fn: (api: ApiClient, base: string, paint: Paint) => Promise<{ json: unknown; lines: string[] }>): Promise<void> {
  try {
    if (opts.project !== undefined && !/^[1-9]\d*$/.test(opts.project)) throw new Error(`--project must be a project id, got "${opts.project}"`);
    let env: ReturnType<typeof loadClientConfig>;
    try {
      env = loadClientConfig();
    } catch (err) {
      if (err instanceof ConfigError) throw new Error(err.message);
      throw err;
    }
    const api = createApiClient(env, opts);
    const colour = Boolean(process.stdout.isTTY) && env.NO_COLOR === undefined;
    const out = await fn(api, `/v1/projects/${opts.project}`, painter(colour && !opts.json));
    if (opts.json) console.log(JSON.stringify(out.json, null, 2));
    else for (const line of out.lines) console.log(line);
  } catch (err) {
    if (err instanceof ApiError) {
      if (opts.json) console.error(JSON.stringify({ error: { status: err.status, code: err.code, message: err.message, details: err.details } }));
      else console.error(`error: ${err.status} ${err.code}: ${err.message}`);
    } else console.error(`error: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}

async function allPages(api: ApiClient, path: string): Promise<Json[]> {
  const rows: Json[] = [];
  for (let cursor: string | null = null; ; ) {
    const sep = path.includes('?') ? '&' : '?';
    const page: { data: Json[]; next_cursor: string | null } = await api.request('GET', `${path}${cursor ? `${sep}cursor=${enc(cursor)}` : ''}`);
    rows.push(...page.data);
    if (!page.next_cursor) return rows;
    cursor = page.next_cursor;
  }
}

function personsCommand(): Command {
  const persons = new Command('persons').description('look up persons (support)');
  common(persons.command('show').description('profile, distinct ids, properties and cohorts (with freshness) of a person').argument('<distinct_id>')).action(
    (id: string, opts: Common) =>
      run(opts, async (api, base, paint) => {
        const body = await api.request<Json>('GET', `${base}/persons/${enc(id)}`);
        return { json: body, lines: personLines(body, paint, Date.now()) };
      }),
  );
  return persons;
}

function explainCommand(): Command {
  return common(
    new Command('explain')
      .description("every decision a person gets now, with each rule's trace (why it matched or not)")
      .argument('<distinct_id>')
      .option('--key <key>', 'only the flag, config or survey with this key'),
  ).action((id: string, opts: Common & { key?: string }) =>
    run(opts, async (api, base, paint) => {
      const body = await api.request<Json>('GET', `${base}/persons/${enc(id)}?explain=1`);
      const d = (body.decisions ?? {}) as Json;
      const pick = (v: unknown) => (v && typeof v === 'object' && opts.key !== undefined ? Object.fromEntries(Object.entries(v).filter(([k, x]) => k === opts.key || (x as Json)?.key === opts.key)) : v);
      const decisions = opts.key === undefined ? d : { ...d, flags: pick(d.flags), configs: pick(d.configs), surveys: pick(d.surveys), ineligible_surveys: pick(d.ineligible_surveys) };
      return { json: { distinct_id: id, decisions }, lines: explainLines(body, paint, opts.key) };
    }),
  );
}

function cohortsCommand(): Command {
  const cohorts = new Command('cohorts').description('list, inspect, upload static members, pause/resume/archive and refresh cohorts');
  common(cohorts.command('list').description('every cohort of the project').option('--include-archived', 'archived cohorts too')).action((opts: Common & { includeArchived?: boolean }) =>
    run(opts, async (api, base, paint) => {
      const rows = await allPages(api, `${base}/cohorts?limit=500${opts.includeArchived ? '&include_archived=true' : ''}`);
      return { json: rows, lines: cohortListLines(rows, paint, Date.now()) };
    }),
  );
  common(cohorts.command('show').description('a cohort: definition, state, member count, last calculation and errors').argument('<key>')).action((key: string, opts: Common) =>
    run(opts, async (api, base) => {
      const body = await api.request<Json>('GET', `${base}/cohorts/${enc(key)}`);
      return { json: body, lines: objectLines(body) };
    }),
  );
  common(
    cohorts
      .command('upload')
      .description('upload static members from a CSV with a distinct_id column (adds; --replace makes the list exactly the file)')
      .argument('<key>')
      .argument('<file>', 'CSV file with a header row and a distinct_id column')
      .option('--replace', 'replace the member list with the file'),
  ).action((key: string, file: string, opts: Common & { replace?: boolean }) =>
    run(opts, async (api, base) => {
      const csv = await readFile(file, 'utf8');
      const report = await api.request<Json>(opts.replace ? 'PUT' : 'POST', `${base}/cohorts/${enc(key)}/members`, { csv });
      return { json: report, lines: [`uploaded ${file} to cohort ${key} (${opts.replace ? 'replace' : 'add'}):`, ...objectLines(report).map((l) => `  ${l}`)] };
    }),
  );
  for (const action of ['pause', 'resume', 'archive', 'restore'] as const) {
    common(cohorts.command(action).description(`${action} a cohort (its lifecycle: docs/cohorts.md)`).argument('<key>')).action((key: string, opts: Common) =>
      run(opts, async (api, base) => {
        const body = await api.request<Json>('POST', `${base}/cohorts/${enc(key)}/${action}`);
        return { json: body, lines: [`cohort ${key}: ${s(body.state)}`] };
      }),
    );
  }
  common(cohorts.command('refresh').description('materialize a cohort now and print the outcome').argument('<key>')).action((key: string, opts: Common) =>
    run(opts, async (api, base) => {
      const body = await api.request<{ outcome: Json; cohort: Json }>('POST', `${base}/cohorts/${enc(key)}/refresh`);
      return { json: body, lines: [`cohort ${key} refreshed: ${s(body.outcome.status)}`, ...objectLines(body.outcome).map((l) => `  ${l}`)] };
    }),
  );
  return cohorts;
}

const s = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function keysCommand(): Command {
  const keys = new Command('keys').description('admin keys of a project: create (the secret is shown once), revoke, list');
  common(keys.command('list').description('keys that can act on the project (prefixes only, never secrets)')).action((opts: Common) =>
    run(opts, async (api, base) => {
      const rows = await allPages(api, `${base}/keys`);
      return { json: rows, lines: keyLines(rows) };
    }),
  );
  common(
    keys
      .command('create')
      .description('create an admin key for the project; prints its secret once')
      .requiredOption('--name <name>', 'what the key is for')
      .option('--scope <scope>', 'read (GET, previews, explain) or write', 'write'),
  ).action((opts: Common & { name: string; scope: string }) =>
    run(opts, async (api, base) => {
      const body = await api.request<Json>('POST', `${base}/keys`, { json: { name: opts.name, scope: opts.scope } });
      return { json: body, lines: [`created key ${s(body.id)} (${s(body.name)}, ${s(body.scope)}): ${s(body.key)}`, 'store it now: it is not shown again'] };
    }),
  );
  common(keys.command('revoke').description('revoke a key by id (at once)').argument('<id>')).action((id: string, opts: Common) =>
    run(opts, async (api, base) => {
      const body = await api.request<Json>('DELETE', `${base}/keys/${enc(id)}`);
      return { json: body, lines: [`revoked key ${s(body.id)} (${s(body.name)}) at ${s(body.revoked_at)}`] };
    }),
  );
  return keys;
}

/** Adds the support commands to the `switchboard` program (src/main.ts). */
export function addSupportCommands(program: Command): void {
  program.addCommand(personsCommand());
  program.addCommand(explainCommand());
  program.addCommand(cohortsCommand());
  program.addCommand(keysCommand());
}
