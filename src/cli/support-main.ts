/**
 * Entry of the support commands alone (`switchboard persons|explain|cohorts|keys`, see
 * bin/switchboard.js): the same commands src/main.ts registers, without loading the server's
 * import graph, so a support call starts in a fraction of the time.
 */
import { Command } from 'commander';
import { addSupportCommands } from './support.js';

const program = new Command('switchboard').description('Switchboard support commands (against a running server)');
addSupportCommands(program);
program.parseAsync(process.argv).catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
