import { Command } from 'commander';
import type { Config } from '../config.js';
import { composeCli } from '../composition.js';
import { WEBHOOK_EVENT_TYPES } from '../domain/webhook.js';

/** Runs `fn` with the CLI composition of a project (closed afterwards); prints its result as JSON. */
async function withProject(config: Config, project: string, fn: (c: ReturnType<typeof composeCli>, projectId: number) => Promise<unknown>): Promise<void> {
  const projectId = Number(project);
  if (!Number.isSafeInteger(projectId) || projectId <= 0) throw new Error(`--project must be a project id, got "${project}"`);
  const c = composeCli(config);
  try {
    if (!(await c.projectStore.get(projectId))) throw new Error(`project ${projectId} not found`);
    const out = await fn(c, projectId);
    if (out !== undefined) console.log(JSON.stringify(out, null, 2));
  } finally {
    await c.close();
  }
}

const id = (raw: string) => {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`expected an id, got "${raw}"`);
  return n;
};

/**
 * `webhooks …` (docs/webhooks.md): the admin API's webhook operations in-process, as actor `cli`:
 * list, add (prints the secret once), update, remove, rotate-secret, deliveries, redeliver.
 */
export function webhooksCommand(config: () => Config): Command {
  const cmd = new Command('webhooks').description('webhook endpoints of a project: list, add, update, remove, rotate-secret, deliveries, redeliver');
  const types = `comma-separated event types: ${WEBHOOK_EVENT_TYPES.join(', ')}`;
  cmd.command('list').requiredOption('--project <id>', 'project id').action((o: { project: string }) => withProject(config(), o.project, (c, p) => c.webhookAdmin.list(p)));
  cmd
    .command('add')
    .argument('<url>', 'the endpoint URL (https://…)')
    .requiredOption('--project <id>', 'project id')
    .requiredOption('--events <types>', types)
    .option('--description <text>', 'what the endpoint is')
    .action((url: string, o: { project: string; events: string; description?: string }) =>
      withProject(config(), o.project, (c, p) => c.webhookAdmin.create(p, 'cli', { url, event_types: o.events.split(',').map((s) => s.trim()).filter(Boolean), description: o.description })),
    );
  cmd
    .command('update')
    .argument('<id>', 'endpoint id')
    .requiredOption('--project <id>', 'project id')
    .option('--url <url>', 'new URL')
    .option('--events <types>', types)
    .option('--enable', 'enable (resets the failure count)')
    .option('--disable', 'disable')
    .action((raw: string, o: { project: string; url?: string; events?: string; enable?: boolean; disable?: boolean }) =>
      withProject(config(), o.project, (c, p) =>
        c.webhookAdmin.update(p, 'cli', id(raw), {
          ...(o.url ? { url: o.url } : {}),
          ...(o.events ? { event_types: o.events.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
          ...(o.enable ? { enabled: true } : o.disable ? { enabled: false } : {}),
        }),
      ),
    );
  cmd.command('remove').argument('<id>', 'endpoint id').requiredOption('--project <id>', 'project id').action((raw: string, o: { project: string }) => withProject(config(), o.project, (c, p) => c.webhookAdmin.remove(p, 'cli', id(raw))));
  cmd.command('rotate-secret').argument('<id>', 'endpoint id').requiredOption('--project <id>', 'project id').action((raw: string, o: { project: string }) => withProject(config(), o.project, (c, p) => c.webhookAdmin.rotateSecret(p, 'cli', id(raw))));
  cmd
    .command('deliveries')
    .argument('<id>', 'endpoint id')
    .requiredOption('--project <id>', 'project id')
    .option('--limit <n>', 'how many, newest first', '20')
    .action((raw: string, o: { project: string; limit: string }) => withProject(config(), o.project, (c, p) => c.webhookAdmin.deliveries(p, id(raw), { limit: Math.min(500, Math.max(1, Number(o.limit) || 20)) })));
  cmd
    .command('redeliver')
    .argument('<delivery>', 'delivery id (from `webhooks deliveries`)')
    .requiredOption('--project <id>', 'project id')
    .action((raw: string, o: { project: string }) => withProject(config(), o.project, async (c, p) => {
      await c.webhookAdmin.redeliver(p, id(raw));
      return { delivery: id(raw), state: 'pending' };
    }));
  return cmd;
}
