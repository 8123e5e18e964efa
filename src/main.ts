import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.js';
import { migrate } from './adapters/postgres/migrate.js';
import { preflight, resolveStores, resolveStoresSync } from './cli/preflight.js';
import { serve } from './cli/serve.js';
import { init } from './cli/init.js';
import { worker } from './cli/worker.js';
import { runImport } from './cli/import.js';
import { rulesCommand } from './cli/rules.js';
import { webhooksCommand } from './cli/webhooks.js';
import { demo } from './cli/demo.js';
import { addSupportCommands } from './cli/support.js';
import { TIERS, type Tier } from './domain/project.js';

function config(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * The config with `auto`/`embedded` resolved (docs/embedded.md): joins the embedded
 * PostgreSQL that `npm start` runs for this folder, or starts one for this command (stopped
 * when it exits). A command in memory mode reaches no other process's store: said on stderr.
 */
async function storesConfig(command: string, opts: { memoryNote?: boolean } = {}): Promise<Config> {
  const resolved = await resolveStores(config()).catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
  if (resolved.embedded?.owned) console.error(`${command}: ${resolved.lines[0]}`);
  if (opts.memoryNote && resolved.modes.redis === 'memory') {
    console.error(`${command}: REDIS_URL=memory: (or no local Redis): this command writes PostgreSQL only; a running \`npm start\` in memory mode rebuilds its identity map from PostgreSQL when it restarts.`);
  }
  return resolved.config;
}

const program = new Command('switchboard').description('Switchboard: flags, configs and surveys targeted at cohorts');

program.command('serve').description('run the API (and the cohort refresher unless RUN_WORKER=false)').action(async () => {
  await serve(config());
});

program.command('worker').description('run the cohort refresher alone (any number of workers share the work)').action(async () => {
  await worker(config());
});

program.command('migrate').description('create the database if needed and apply pending migrations').action(async () => {
  const cfg = await storesConfig('migrate');
  const problems = await preflight(cfg);
  if (problems.some((p) => p.startsWith('PostgreSQL'))) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  const applied = await migrate(cfg.DATABASE_URL);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
});

program
  .command('init')
  .description('create the first project and an admin key for all projects (fresh install)')
  .option('--name <name>', 'project name', 'default')
  .addOption(new Option('--tier <tier>', 'project tier').choices(TIERS as string[]).default('pro'))
  .action(async (opts: { name: string; tier: Tier }) => {
    await init(await storesConfig('init'), opts);
  });

program
  .command('import')
  .description('stream a CSV or NDJSON file (optionally .gz) of events into a project (same validation and dedup as the API)')
  .argument('<file>', 'CSV or NDJSON file, .gz accepted')
  .requiredOption('--project <id>', 'project id')
  .addOption(new Option('--format <format>', 'file format (default: from the file name)').choices(['csv', 'ndjson']))
  .option('--mapping <name>', 'a named row mapping, e.g. uci-online-retail')
  .option('--shift-to-now', 'shift every event time so the newest event is now')
  .action(async (file: string, opts: { project: string; format?: 'csv' | 'ndjson'; mapping?: string; shiftToNow?: boolean }) => {
    await runImport(await storesConfig('import', { memoryNote: true }), file, opts);
  });

program.addCommand(rulesCommand(() => resolveStoresSync(config())));
addSupportCommands(program);
program.addCommand(webhooksCommand(config));

program
  .command('demo')
  .description('the demo on real data (docs/demo.md): import UCI Online Retail, apply rules/demo, print cohorts and handshakes; needs `npm start` running')
  .option('--data <file>', 'the UCI Online Retail CSV (.gz accepted); default ../shared/data/uci-online-retail/online_retail.csv.gz')
  .option('--rules <dir>', 'the rules directory to apply', undefined)
  .option('--timeout <seconds>', 'how long to wait for every cohort to become active', '600')
  .option('--fresh', 'retire the existing demo project (it is renamed) and start over: new project, new time shift')
  .action(async (opts: { data?: string; rules?: string; timeout: string; fresh?: boolean }) => {
    await demo(await storesConfig('demo'), { data: opts.data, rules: opts.rules, timeout: Number(opts.timeout), fresh: opts.fresh });
  });

export const cli = program;

program.parseAsync(process.argv).catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
