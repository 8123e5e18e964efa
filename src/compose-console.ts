/**
 * Wiring of the admin console (docs/console.md): the built app at /console and the few
 * endpoints it needs beyond the admin API (who the key is, the "who flips" preview, the
 * static-upload dry run, a person's last events). Called by the composition root with
 * what it already built; returns one route module.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool } from './adapters/postgres/pool.js';
import type { AdminKeyStore } from './adapters/postgres/admin-key-store.js';
import type { DefinitionStore } from './adapters/postgres/definition-store.js';
import type { CohortStore } from './adapters/postgres/cohort-store.js';
import type { CohortMemberStore } from './adapters/postgres/cohort-member-store.js';
import type { MembershipStore } from './adapters/redis/membership-store.js';
import { createConsoleReads } from './adapters/postgres/console-reads.js';
import { createWhoFlips } from './services/who-flips.js';
import { createUploadPreview } from './services/member-upload-preview.js';
import type { RouteModule } from './http/app.js';
import { consoleRoutes } from './http/routes/console.js';
import { sessionRoutes } from './http/routes/session.js';
import { definitionPreviewRoutes } from './http/routes/definition-preview.js';
import { memberPreviewRoutes } from './http/routes/member-preview.js';
import { personEventRoutes } from './http/routes/person-events.js';

/** console/dist of this checkout (src/ and console/ are siblings). */
export const CONSOLE_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'console', 'dist');

export interface ConsoleFeatureDeps {
  pool: Pool;
  adminKeys: Pick<AdminKeyStore, 'get'>;
  definitions: Pick<DefinitionStore, 'get'>;
  cohorts: { cohorts: Pick<CohortStore, 'live' | 'byKey'>; members: Pick<CohortMemberStore, 'count' | 'countUnseen'>; membership: Pick<MembershipStore, 'isMember'> };
  distDir?: string;
}

export function composeConsole(deps: ConsoleFeatureDeps): RouteModule {
  const reads = createConsoleReads(deps.pool);
  const { cohorts, members, membership } = deps.cohorts;
  const whoFlips = createWhoFlips({
    reads,
    saved: async (kind, projectId, key) => {
      const d = await deps.definitions.get(kind, projectId, key);
      return d ? { definition: d.definition as Record<string, unknown>, version: d.version } : null;
    },
    cohorts: (projectId) => cohorts.live(projectId),
    isMember: (projectId, ids, member) => membership.isMember(projectId, ids, member),
  });
  const uploadPreview = createUploadPreview({
    reads,
    cohort: (projectId, key) => cohorts.byKey(projectId, key),
    count: (projectId, cohortId) => members.count(projectId, cohortId),
    countUnseen: (projectId, ids) => members.countUnseen(projectId, ids),
  });
  const modules = [
    consoleRoutes({ distDir: deps.distDir ?? CONSOLE_DIST }),
    sessionRoutes({ adminKeys: deps.adminKeys }),
    definitionPreviewRoutes({ whoFlips }),
    memberPreviewRoutes({ uploadPreview }),
    personEventRoutes({ reads }),
  ];
  return (app, auth) => modules.forEach((mount) => mount(app, auth));
}
