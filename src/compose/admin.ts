/** Projects, admin keys and definitions (flags, configs, surveys): the admin API's own services. */
import { lintDefinition } from '../as-code/lint.js';
import { createDefinitionsService } from '../services/definitions.js';
import { createProjectsService } from '../services/projects.js';
import type { Infra } from './infra.js';
import { once } from './once.js';

/** `projectChanged`: after a project update (default: the definitions notice). */
export function composeAdmin(infra: Infra, projectChanged: (projectId: number) => Promise<void> = infra.notifyDefinitions) {
  const projects = once(() => createProjectsService({ projects: infra.stores.projects, adminKeys: infra.stores.adminKeys, audit: infra.stores.audit, notify: projectChanged }));
  const definitions = once(() =>
    createDefinitionsService({
      tx: infra.tx,
      definitions: infra.stores.definitions,
      audit: infra.stores.audit,
      notify: infra.notifyDefinitions,
      lint: async (kind, projectId, key, doc) => lintDefinition(kind, key, doc, { cohorts: await infra.stores.cohorts.refs(projectId) }),
    }),
  );
  return {
    get projects() {
      return projects();
    },
    get definitions() {
      return definitions();
    },
  };
}

export type Admin = ReturnType<typeof composeAdmin>;
