/** Projects, admin keys and definitions (flags, configs, surveys): the admin API's own services. */
import { createDefinitionsService } from '../services/definitions.js';
import { createProjectsService } from '../services/projects.js';
import type { Infra } from './infra.js';
import { once } from './once.js';

export function composeAdmin(infra: Infra) {
  const projects = once(() => createProjectsService({ projects: infra.stores.projects, adminKeys: infra.stores.adminKeys, audit: infra.stores.audit }));
  const definitions = once(() => createDefinitionsService({ tx: infra.tx, definitions: infra.stores.definitions, audit: infra.stores.audit, notify: infra.notifyDefinitions }));
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
