import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import type { Config } from '../config.js';
import { composeCli, type CliComposition } from '../composition.js';
import { migrate } from '../adapters/postgres/migrate.js';
import type { AdminPrincipal } from '../services/projects.js';
import { preflight } from './preflight.js';
import { rulesDeps } from './rules.js';
import { planRules } from '../as-code/plan.js';
import { applyPlan } from '../as-code/apply.js';
import { applySummary, describeChange, issueLines } from '../as-code/report.js';
import { importDemoData } from './demo-import.js';
import { createDemoClient, serviceStatus, type CohortBody, type DemoClient } from './demo-http.js';
import { cohortLines } from './demo-print.js';
import { aliasScenarios, namedHandshakes } from './demo-handshakes.js';
import type { Project } from '../domain/project.js';

/** The demo project is found by this name (the database remembers it, not a local file). */
export const DEMO_PROJECT_NAME = 'Switchboard demo (UCI Online Retail)';
const DEMO_KEY_NAME = 'npm run demo';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the data set lives on this machine, relative to the repository (see README). */
export const DEFAULT_DATA = path.resolve(ROOT, '../shared/data/uci-online-retail/online_retail.csv.gz');
const WHO: AdminPrincipal = { keyId: 0, actor: 'cli:demo', projectIds: null };

export interface DemoOptions {
  data?: string;
  rules?: string;
  /** seconds to wait for the refresher to make every cohort active */
  timeout: number;
  /** retire the existing demo project (renamed) and start over with a new one */
  fresh?: boolean;
}

const step = (n: number, text: string) => console.log(`\n[${n}/6] ${text}`);
const fail = (message: string): never => {
  console.error(message);
  process.exit(1);
};

async function demoProject(c: CliComposition, fresh: boolean): Promise<{ project: Project; created: boolean }> {
  const existing = (await c.projectStore.all()).find((p) => p.name === DEMO_PROJECT_NAME);
  if (existing && !fresh) return { project: existing, created: false };
  if (existing) await c.projects.update(WHO, existing.id, { name: `${DEMO_PROJECT_NAME}, retired ${new Date().toISOString()}` });
  return { project: await c.projects.create(WHO, { name: DEMO_PROJECT_NAME, tier: 'pro' }), created: true };
}

/** A fresh admin key for this run, scoped to the demo project; earlier demo keys are revoked (their secrets cannot be shown again). */
async function demoKey(c: CliComposition, projectId: number): Promise<string> {
  for (const k of await c.projects.listKeys(WHO, projectId)) {
    if (k.name === DEMO_KEY_NAME && !k.revokedAt) await c.projects.revokeKey(WHO, projectId, k.id);
  }
  return (await c.projects.createKey(WHO, DEMO_KEY_NAME, [projectId])).secret;
}

/** Polls the cohort list until every cohort is active and, if `after` has it, computed after that instant (unix ms); shows a bar. */
async function waitForCohorts(client: DemoClient, projectId: number, keys: string[], after: Map<string, number>, timeoutS: number): Promise<CohortBody[]> {
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'cohorts |{bar}| {value}/{total} active | {waiting}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5_000 },
    cliProgress.Presets.shades_classic,
  );
  const deadline = Date.now() + timeoutS * 1000;
  bar.start(keys.length, 0, { waiting: '' });
  try {
    for (;;) {
      const cohorts = (await client.cohorts(projectId)).filter((c) => keys.includes(c.key));
      const ready = (c: CohortBody) => c.state === 'active' && Date.parse(c.last_calculated_at ?? '') >= (after.get(c.key) ?? 0);
      const waiting = cohorts.filter((c) => !ready(c));
      bar.update(cohorts.length - waiting.length, { waiting: waiting.length ? `waiting: ${waiting.map((c) => c.key).join(', ')}` : 'done' });
      if (waiting.length === 0) return cohorts;
      if (Date.now() > deadline) {
        bar.stop();
        const why = waiting.map((c) => `  ${c.key}: ${c.state}${c.last_error_code ? `, last error ${c.last_error_code}: ${c.last_error_message}` : ''}`);
        return fail(`Timed out after ${timeoutS} s waiting for the refresher. Is \`npm start\` running with RUN_WORKER=true (the default)?\n${why.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    bar.stop();
  }
}

/**
 * `npm run demo` (docs/demo.md): against the service `npm start` runs, creates or reuses the
 * demo project and a key, imports the UCI Online Retail log (times shifted so the newest
 * event is now), applies rules/demo, waits for the refresher to make every cohort active,
 * then prints cohort sizes and real handshakes. Setup goes through the in-process services
 * (like the other CLI commands); what a client or admin would do goes over HTTP.
 */
export async function demo(config: Config, opts: DemoOptions): Promise<void> {
  const started = Date.now();
  if (!(opts.timeout > 0)) fail(`--timeout must be a number of seconds, got ${String(opts.timeout)}`);
  const problems = await preflight(config);
  if (problems.length) fail(problems.join('\n'));
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${config.PORT}`;
  const status = await serviceStatus(baseUrl);
  if (!status.ok) fail(`${status.reason}.\nStart the service with \`npm start\` in another terminal (same environment as this command), then run \`npm run demo\` again.`);
  const data = path.resolve(opts.data ?? DEFAULT_DATA);
  if (!existsSync(data)) {
    fail(`The UCI Online Retail data set is not at ${data}.\nGet it from https://archive.ics.uci.edu/dataset/352/online+retail (CC BY 4.0), convert it to CSV as docs/demo.md describes, and pass --data <file>.`);
  }
  const rulesDir = opts.rules ?? path.relative(process.cwd(), path.join(ROOT, 'rules/demo'));

  await migrate(config.DATABASE_URL);
  const c = composeCli({ ...config, LOG_LEVEL: 'warn' });
  try {
    step(1, 'demo project and admin key');
    const { project, created } = await demoProject(c, opts.fresh === true);
    const adminKey = await demoKey(c, project.id);
    const client = createDemoClient(baseUrl, { admin: adminKey, project: project.token });
    await client.project(project.id).catch((err: Error) =>
      fail(`The service at ${baseUrl} does not see project ${project.id} (${err.message}): is it running with the same DATABASE_URL as this command?`),
    );
    console.log(`  project ${project.id} "${project.name}" (${created ? 'created' : 'reused'}), tier ${project.tier}, token ${project.token}`);

    step(2, `import ${data}`);
    const imp = await importDemoData(c, project.id, data, Date.now());
    const newest = new Date(imp.newestRawMs + imp.shiftMs).toISOString();
    const days = (imp.shiftMs / 86_400_000).toFixed(2);
    if (imp.reused) console.log(`  already imported on ${imp.importedAt}: nothing to do`);
    else console.log(`  ${imp.rows.toLocaleString('en-US')} rows read in ${(imp.durationMs / 1000).toFixed(1)} s: ${imp.stored.toLocaleString('en-US')} events stored, ${imp.deduplicated.toLocaleString('en-US')} deduplicated, ${imp.rejected} rejected`);
    console.log(`  ${imp.events.toLocaleString('en-US')} events in the file; times shifted by ${imp.shiftMs} ms (${days} days): the newest invoice (${new Date(imp.newestRawMs).toISOString()} read as UTC) is at ${newest}`);
    const ageDays = (Date.now() - (imp.newestRawMs + imp.shiftMs)) / 86_400_000;
    if (ageDays > 1) console.log(`  note: that shift was fixed ${ageDays.toFixed(1)} days ago; "last 30 days" windows now see less data. \`npm run demo -- --fresh\` starts over.`);

    step(3, `apply ${rulesDir}`);
    const deps = rulesDeps(c);
    const plan = await planRules(deps, rulesDir, project.id);
    if (plan.set.issues.length) fail(issueLines(plan.set.issues, plan.set.warnings).join('\n'));
    const changedAt = new Map<string, number>();
    const report = await applyPlan(deps, plan, {
      onChange: (ch) => {
        if (ch.kind === 'cohort') changedAt.set(ch.key, Date.now());
        console.log(`  ${ch.action === 'create' ? 'created' : 'updated'} ${ch.kind} ${ch.key}: ${describeChange(ch)}`);
      },
    });
    console.log(`  ${applySummary(plan, report)}`);

    step(4, 'wait for the refresher (in `npm start`) to make every cohort active');
    const keys = plan.set.cohorts.map((s) => s.key);
    if (!imp.reused && imp.stored > 0) {
      // New events: cohorts that existed before must be recomputed too, not only the changed ones.
      const refs = await c.cohortStore.refs(project.id);
      for (const key of keys) {
        if (!changedAt.has(key)) changedAt.set(key, Date.now());
        const ref = refs.get(key);
        if (ref) await c.cohortStore.markDue(project.id, ref.id);
      }
    }
    const waitStarted = Date.now();
    const cohorts = await waitForCohorts(client, project.id, keys, changedAt, opts.timeout);
    console.log(`  all ${cohorts.length} cohorts active (waited ${((Date.now() - waitStarted) / 1000).toFixed(1)} s)`);

    step(5, `cohort sizes (${new Date().toISOString()})`);
    for (const line of cohortLines(cohorts, imp.shiftMs)) console.log(line);

    step(6, 'handshakes: POST /v1/decide as the SDK sends it');
    await namedHandshakes(c, client, project.id);
    await aliasScenarios(c, client, project.id, Date.now().toString(36));

    console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Explore: project ${project.id}, admin key ${adminKey} (revoked by the next run), e.g.`);
    console.log(`  curl -s ${baseUrl}/v1/projects/${project.id}/cohorts -H "Authorization: Bearer ${adminKey}"`);
  } finally {
    await c.close();
  }
}
