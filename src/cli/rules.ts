import { Command } from 'commander';
import type { Config } from '../config.js';
import { composeCli, type CliComposition } from '../composition.js';
import { migrate } from '../adapters/postgres/migrate.js';
import { preflight } from './preflight.js';
import { validateRulesDir } from '../as-code/validate.js';
import { planRules, type Plan, type RulesDeps } from '../as-code/plan.js';
import { applyPlan } from '../as-code/apply.js';
import { applySummary, describeChange, issueLines, planLines, planSummary } from '../as-code/report.js';

/** The admin API's services, as the rules module needs them (same validation, versions, audit). */
export function rulesDeps(c: CliComposition): RulesDeps {
  return {
    projects: c.projectStore,
    definitions: c.definitions,
    cohorts: c.cohortService,
    cohortStore: c.cohortStore,
    members: c.staticMembers,
  };
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
async function withPlan(config: Config, dir: string, project: string, fn: (plan: Plan, c: CliComposition) => Promise<void>): Promise<void> {
  await withServices(config, async (c) => {
    const plan = await planRules(rulesDeps(c), dir, projectId(project));
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
    .action(async (dir: string) => {
      const set = await validateRulesDir(dir);
      for (const line of issueLines(set.issues, set.warnings)) console.error(line);
      const n = set.cohorts.length + set.definitions.length;
      if (set.issues.length) {
        console.error(`${set.issues.length} problem(s) in ${dir}.`);
        process.exitCode = 1;
      } else {
        console.log(`${dir}: ${n} definitions are valid (${set.cohorts.length} cohorts, ${set.definitions.length} flags, configs and surveys).`);
      }
    });

  rules
    .command('plan')
    .description('show what apply would change in a project, without changing it')
    .argument('<dir>', 'a rules directory, e.g. rules/demo')
    .requiredOption('--project <id>', 'project id')
    .action(async (dir: string, opts: { project: string }) => {
      await withPlan(config(), dir, opts.project, async (plan) => {
        console.log(`${dir} against project ${plan.project.id} (${plan.project.name}):`);
        for (const line of planLines(plan)) console.log(line);
        console.log(planSummary(plan));
      });
    });

  rules
    .command('apply')
    .description('create or update every definition of a directory in a project, through the admin services (versions, audit)')
    .argument('<dir>', 'a rules directory, e.g. rules/demo')
    .requiredOption('--project <id>', 'project id')
    .action(async (dir: string, opts: { project: string }) => {
      await withPlan(config(), dir, opts.project, async (plan, c) => {
        console.log(`applying ${dir} to project ${plan.project.id} (${plan.project.name}):`);
        const report = await applyPlan(rulesDeps(c), plan, {
          onChange: (ch) => console.log(`  ${ch.action === 'create' ? 'created' : 'updated'} ${ch.kind} ${ch.key}: ${describeChange(ch)}`),
        });
        console.log(applySummary(plan, report));
      });
    });

  return rules;
}
