import type { Config } from '../config.js';
import { composeCli } from '../composition.js';
import { migrate } from '../adapters/postgres/migrate.js';
import type { Tier } from '../domain/project.js';

/** `init`: creates the first project and an admin key for all projects, and prints them once. */
export async function init(config: Config, opts: { name: string; tier: Tier }): Promise<void> {
  await migrate(config.DATABASE_URL);
  const c = composeCli(config);
  try {
    const { project, secret } = await c.projects.bootstrap(opts.name, opts.tier);
    console.log(JSON.stringify({ project: { id: project.id, name: project.name, tier: project.tier, token: project.token }, admin_key: secret }, null, 2));
    console.error('Keep the admin key: it is shown only once.');
  } finally {
    await c.close();
  }
}
