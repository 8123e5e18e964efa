import { Command } from 'commander';
import type { Config } from '../config.js';
import { composeCli, type CliComposition } from '../composition.js';
import { migrate } from '../adapters/postgres/migrate.js';
import { preflight } from './preflight.js';
import { validateRulesDir } from '../as-code/validate.js';
import { planRules, type Plan, type RulesDeps } from '../as-code/plan.js';
import { applyPlan } from '../as-code/apply.js';
import { applySummary, describeChange, issueLines, planJson, planLines, planSummary } from '../as-code/report.js';
import { lintRuleSet, propertiesRead } from '../as-code/lint.js';
import { impactLines, planImpact } from '../as-code/impact.js';

/** The admin API's services, as the rules module needs them (same validation, versions, audit). */
export function rulesDeps(c: CliComposition): RulesDeps {
  return {
    projects: c.projectStore,
    definitions: c.definitions,
    cohorts: c.cohortService,
    cohortStore: c.cohortStore,
    members: c.staticMembers,
    lifecycle: c.cohortLifecycle,
  };
}

/** Which of `names` at least one person of the project has as a property (one EXISTS query each). */
async function knownProperties(c: CliComposition, projectId: number, names: Set<string>): Promise<Set<string>> {
  if (names.size === 0) return new Set();
  const { rows } = await c.pool.query<{ k: string }>('SELECT k FROM unnest($2::text[]) AS k WHERE EXISTS (SELECT 1 FROM persons WHERE project_id = $1 AND properties ? k)', [projectId, [...names]]);
  return new Set(rows.map((r) => r.k));
}

function projectId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`--project must be a project id, got "${raw}"`);
  return id;
}

/** Prints problems; true when there was at least one (nothing may be applied). */
function reportProblems(plan: Pick<Plan, 'set'>): boolean {
  for (const line of issueLines(plan.set.issues, plan.set.warnings)) console.error(line);
  if (plan.set.issues.length) console.error(`${plan.set.issues.length} problem(s) in ${plan.set.dir}; nothing was applied.`);
  return plan.set.issues.length > 0;
}

/**
 * Plans `dir` against the project with a CLI composition and runs `fn` on a valid plan;
 * an invalid one is reported with exit code 1 and `fn` is not called.
 */
async function withPlan(config: Config, dir: string, project: string, prune: boolean, fn: (plan: Plan, c: CliComposition) => Promise<void>): Promise<void> {
  await withServices(config, async (c) => {
    const plan = await planRules(rulesDeps(c), dir, projectId(project), { prune });
    if (reportProblems(plan)) {
      process.exitCode = 1;
      return;
    }
    await fn(plan, c);
  });
}

/** Runs `fn` with a composition for the CLI (no refresher, no listeners), after preflight and migrations. */
async function withServices<T>(config: Config, fn: (c: CliComposition) => Promise<T>): Promise<T> {
  const problems = await preflight(config);
  if (problems.length) throw new Error(problems.join('\n'));
  await migrate(config.DATABASE_URL);
  const c = composeCli({ ...config, LOG_LEVEL: 'warn' });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

/**
 * `rules validate <dir>`, `rules plan <dir> --project <id>`, `rules apply <dir> --project <id>`
 * (PRODUCT.md 10, docs/rules.md). Exit code 1 when a file is invalid (nothing is applied).
 */
export function rulesCommand(config: () => Config): Command {
  const rules = new Command('rules').description('definitions as files (rules/): validate, plan and apply them to a project');

  rules
    .command('validate')
    .description('check every file of a rules directory, offline (no project needed)')
    .argument('<dir>', 'a rules directory, e.g. rules/demo')
    .option('--json', 'print { errors, warnings, definitions } as JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const set = await validateRulesDir(dir);
      const n = set.cohorts.length + set.definitions.length;
      if (opts.json) {
        const definitions = [...set.cohorts.map((c) => ({ kind: 'cohort', key: c.key, file: c.file })), ...set.definitions.map((d) => ({ kind: d.kind, key: d.key, file: d.file }))];
        console.log(JSON.stringify({ errors: set.issues, warnings: set.warnings, definitions }, null, 2));
        if (set.issues.length) process.exitCode = 1;
        return;
      }
      for (const line of issueLines(set.issues, set.warnings)) console.error(line);
      if (set.issues.length) {
        console.error(`${set.issues.length} problem(s) in ${dir}.`);
        process.exitCode = 1;
      } else {
        console.log(`${dir}: ${n} definitions are valid (${set.cohorts.length} cohorts, ${set.definitions.length} flags, configs and surveys).`);
      }
    });

  rules
    .command('lint')
    .description('validate, then warn about rules that can never match, unservable variants, 0 % rollouts, constant conditions, ...')
    .argument('<dir>', 'a rules directory, e.g. rules/demo')
    .option('--project <id>', 'also check cohort references and condition properties against this project')
    .option('--json', 'print { errors, warnings } as JSON')
    .action(async (dir: string, opts: { project?: string; json?: boolean }) => {
      const run = async (c: CliComposition | null) => {
        const id = opts.project ? projectId(opts.project) : null;
        const set = await validateRulesDir(dir, c && id ? { byKey: await c.cohortStore.refs(id) } : null);
        const known = c && id ? await knownProperties(c, id, propertiesRead(set)) : undefined;
        const lint = lintRuleSet(set, { knownProperties: known });
        const errors = [...set.issues, ...lint.issues];
        const warnings = [...set.warnings, ...lint.warnings];
        if (opts.json) console.log(JSON.stringify({ errors, warnings }, null, 2));
        else {
          for (const line of issueLines(errors, warnings)) console.error(line);
          console.log(`${dir}: ${errors.length} error(s), ${warnings.length} warning(s).`);
        }
        if (errors.length) process.exitCode = 1;
      };
      if (opts.project) await withServices(config(), run);
      else await run(null);
    });

  rules
    .command('plan')
    .description('show what apply would change in a project, without changing it')
    .argument('<dir>', 'a rules directory, e.g. rules/demo')
    .requiredOption('--project <id>', 'project id')
    .option('--prune', 'plan to remove what is not in the files (flags, configs, surveys deleted; cohorts archived)')
    .option('--impact', "evaluate old and new flags and configs over the project's persons: who would get a different answer")
    .option('--sample <n>', 'distinct_ids shown per changed definition with --impact', '10')
    .option('--json', 'print the plan as JSON')
    .action(async (dir: string, opts: { project: string; prune?: boolean; impact?: boolean; sample: string; json?: boolean }) => {
      await withPlan(config(), dir, opts.project, opts.prune ?? false, async (plan, c) => {
        const sample = Number(opts.sample);
        if (!Number.isSafeInteger(sample) || sample < 0) throw new Error(`--sample must be a count, got "${opts.sample}"`);
        const impact = opts.impact ? await planImpact(plan, { definitions: c.definitions, cohorts: c.cohortService, source: c.impactSource }, { now: Date.now(), sample }) : null;
        if (opts.json) {
          console.log(JSON.stringify({ ...planJson(plan), ...(impact ? { impact } : {}) }, null, 2));
          return;
        }
        console.log(`${dir} against project ${plan.project.id} (${plan.project.name}):`);
        for (const line of planLines(plan)) console.log(line);
        console.log(planSummary(plan));
        if (impact) for (const line of impactLines(impact)) console.log(line);
      });
    });

  rules
    .command('apply')
    .description('create or update every definition of a directory in a project, through the admin services (versions, audit)')
    .argument('<dir>', 'a rules directory, e.g. rules/demo')
    .requiredOption('--project <id>', 'project id')
    .option('--prune', 'remove what is not in the files: flags, configs and surveys are disabled, then deleted; cohorts archived')
    .option('--json', 'print what was applied as JSON')
    .action(async (dir: string, opts: { project: string; prune?: boolean; json?: boolean }) => {
      await withPlan(config(), dir, opts.project, opts.prune ?? false, async (plan, c) => {
        const say = (line: string) => (opts.json ? undefined : console.log(line));
        say(`applying ${dir} to project ${plan.project.id} (${plan.project.name}):`);
        const report = await applyPlan(rulesDeps(c), plan, {
          onChange: (ch) => say(`  ${ch.action === 'create' ? 'created' : 'updated'} ${ch.kind} ${ch.key}: ${describeChange(ch)}`),
          onPrune: (u) => say(`  ${u.kind === 'cohort' ? 'archived' : 'deleted'} ${u.kind} ${u.key}`),
        });
        if (opts.json) {
          const brief = (ch: { kind: string; key: string; action?: string }) => ({ kind: ch.kind, key: ch.key, action: ch.action });
          console.log(JSON.stringify({ applied: report.applied.map(brief), pruned: report.pruned, unchanged: report.unchanged, actor: report.actor }, null, 2));
          return;
        }
        console.log(applySummary(plan, report));
      });
    });

  return rules;
}
