import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.js';
import { migrate } from './adapters/postgres/migrate.js';
import { preflight } from './cli/preflight.js';
import { serve } from './cli/serve.js';
import { init } from './cli/init.js';
import { TIERS, type Tier } from './adapters/postgres/project-store.js';

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

const program = new Command('switchboard').description('Switchboard: flags, configs and surveys targeted at cohorts');

program.command('serve').description('run the API (and the cohort refresher unless RUN_WORKER=false)').action(async () => {
  await serve(config());
});

program.command('migrate').description('create the database if needed and apply pending migrations').action(async () => {
  const cfg = config();
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
    await init(config(), opts);
  });

export const cli = program;

program.parseAsync(process.argv).catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
