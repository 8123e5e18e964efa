/**
 * The admin console (docs/console.md): the built app at /console and the few endpoints it
 * needs beyond the admin API (who the key is, the "who flips" preview, the static-upload dry
 * run, a person's last events). One route module.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConsoleReads } from '../adapters/postgres/console-reads.js';
import type { RouteModule } from '../http/app.js';
import { consoleRoutes } from '../http/routes/console.js';
import { definitionPreviewRoutes } from '../http/routes/definition-preview.js';
import { memberPreviewRoutes } from '../http/routes/member-preview.js';
import { personEventRoutes } from '../http/routes/person-events.js';
import { sessionRoutes } from '../http/routes/session.js';
import { createUploadPreview } from '../services/member-upload-preview.js';
import { createWhoFlips } from '../services/who-flips.js';
import type { Infra } from './infra.js';

/** console/dist of this checkout (src/ and console/ are siblings). */
export const CONSOLE_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'console', 'dist');

export function composeConsole(infra: Infra, opts: { distDir?: string } = {}): RouteModule {
  const s = infra.stores;
  const reads = createConsoleReads(infra.pool);
  const whoFlips = createWhoFlips({
    reads,
    saved: async (kind, projectId, key) => {
      const d = await s.definitions.get(kind, projectId, key);
      return d ? { definition: d.definition as Record<string, unknown>, version: d.version } : null;
    },
    cohorts: (projectId) => s.cohorts.live(projectId),
    isMember: (projectId, ids, member) => s.membership.isMember(projectId, ids, member),
  });
  const uploadPreview = createUploadPreview({
    reads,
    cohort: (projectId, key) => s.cohorts.byKey(projectId, key),
    count: (projectId, cohortId) => s.staticMembers.count(projectId, cohortId),
    countUnseen: (projectId, ids) => s.staticMembers.countUnseen(projectId, ids),
  });
  const modules = [
    consoleRoutes({ distDir: opts.distDir ?? CONSOLE_DIST }),
    sessionRoutes({ adminKeys: s.adminKeys }),
    definitionPreviewRoutes({ whoFlips }),
    memberPreviewRoutes({ uploadPreview, uploadMaxBytes: infra.config.UPLOAD_MAX_BYTES }),
    personEventRoutes({ reads }),
  ];
  return (app, auth) => {
    for (const mount of modules) mount(app, auth);
  };
}
