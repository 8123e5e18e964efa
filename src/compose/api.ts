/**
 * The HTTP API: every route module, the express app, and the handshake's node:http fast path
 * in front of it (docs/performance.md). Built on first use of `listener`.
 */
import type { RequestListener } from 'node:http';
import { createRefreshNow } from '../services/cohort-refresh-now.js';
import { createApp, type RouteModule } from '../http/app.js';
import { createAuth } from '../http/auth.js';
import { createRequestListener } from '../http/dispatch.js';
import { createFastDecide } from '../http/fast/decide-fast.js';
import { createFastOfrep } from '../http/fast/ofrep-fast.js';
import { admitter, rateLimit } from '../http/rate-limit.js';
import { aliasRoutes } from '../http/routes/alias.js';
import { cohortLifecycleRoutes } from '../http/routes/cohort-lifecycle.js';
import { cohortRoutes } from '../http/routes/cohorts.js';
import { decideRoutes } from '../http/routes/decide.js';
import { definitionRoutes } from '../http/routes/definitions.js';
import { engageRoutes } from '../http/routes/engage.js';
import { eventRoutes } from '../http/routes/events.js';
import { healthRoutes } from '../http/routes/health.js';
import { ofrepRoutes } from '../http/routes/ofrep.js';
import { cohortsSection, decisionsSection } from '../http/routes/person-sections.js';
import { personRoutes, type PersonSection } from '../http/routes/persons.js';
import { projectRoutes } from '../http/routes/projects.js';
import type { CohortFeature } from './cohorts.js';
import type { Decisions } from './decisions.js';
import type { Feeds } from './feeds.js';
import type { Infra } from './infra.js';
import type { Admin } from './admin.js';
import { composeConsole } from './console.js';
import { importRoutes } from '../http/routes/imports.js';
import { OFREP_STREAM_PATH, streamRoutes } from '../http/routes/stream.js';
import { webhookRoutes } from '../http/routes/webhooks.js';
import { composeImports, composeStreams, liveOf } from './live.js';
import { consistencyOf } from './consistency.js';
import { once } from './once.js';
import { createHistoryRead } from '../services/history-read.js';
import { createReplay } from '../services/replay.js';
import { historyRoutes } from '../http/routes/history.js';

export function composeApi(infra: Infra, parts: { admin: Admin; feeds: Feeds; cohorts: CohortFeature; decisions: Decisions }) {
  const { logger, metrics, config } = infra;
  const { admin, feeds, cohorts, decisions } = parts;
  /** Extra fields of the admin person read (cohorts, decisions): push sections here. */
  const personSections: PersonSection[] = [];

  /** PostgreSQL and Redis reachability, and whether cohort membership is being recovered. */
  const readiness = async () => {
    const r = await infra.readiness();
    const unavailable = decisions.decide.unavailableMembership().map((u) => ({ project_id: u.projectId, cohorts: u.cohorts }));
    return { ...r, membership: { state: unavailable.length ? ('recovering' as const) : ('ok' as const), unavailable } };
  };

  const hub = once(() => composeStreams(infra, decisions));
  const imports = once(() => composeImports(infra, feeds, cohorts, { resume: true }));

  const routes = once((): RouteModule[] => {
    const history = createHistoryRead({ store: infra.stores.membershipHistory, cohorts: infra.stores.cohorts });
    personSections.push(cohortsSection({ cohortsOfPerson: cohorts.membership.cohortsOfPerson, history }), decisionsSection({ decide: decisions.decide }));
    const ingestLimit = rateLimit({ limiter: infra.stores.rateLimiter, metrics }, 'ingest', config.RATE_LIMIT_PER_S);
    const { consistency, reads } = consistencyOf(infra, cohorts);
    return [
      healthRoutes({ readiness, metrics }),
      projectRoutes({ projects: admin.projects }),
      cohortRoutes({ cohorts: cohorts.service, staticMembers: cohorts.staticMembers, members: cohorts.members, refreshNow: createRefreshNow({ cohorts: cohorts.service, refreshCohort: cohorts.refreshCohort, audit: infra.stores.audit }), uploadMaxBytes: config.UPLOAD_MAX_BYTES }),
      definitionRoutes({ definitions: admin.definitions, audit: infra.stores.audit }),
      decideRoutes({ decide: decisions.decide, reads }),
      // OFREP and the handshake are counted inside the decide service's one Redis call.
      ofrepRoutes({ decide: decisions.decide, directory: decisions.directory, reads, eventStreamPath: OFREP_STREAM_PATH }),
      cohortLifecycleRoutes({ lifecycle: cohorts.lifecycle }),
      eventRoutes({ ingest: feeds.ingest, rateLimit: ingestLimit, consistency }),
      engageRoutes({ people: feeds.people, rateLimit: ingestLimit, consistency }),
      aliasRoutes({ alias: feeds.aliases, rateLimit: ingestLimit, consistency }),
      personRoutes({ persons: feeds.personRead, sections: personSections }),
      historyRoutes({ history, replay: createReplay({ history: infra.stores.historyReader }) }),
      streamRoutes({ hub: hub(), directory: decisions.directory, maxStreams: config.STREAM_MAX_PER_PROCESS }),
      webhookRoutes({ admin: liveOf(infra).webhookAdmin(), dispatcher: liveOf(infra).dispatcher() }),
      importRoutes({ jobs: imports() }),
      composeConsole(infra),
    ];
  });
  const expressApp = once(() => {
    const admitAdmin = admitter({ limiter: infra.stores.rateLimiter, metrics }, 'admin', config.ADMIN_RATE_LIMIT_PER_S);
    return createApp({ logger, metrics, auth: createAuth({ directory: decisions.directory, projects: admin.projects, admitAdmin }), routes: routes() });
  });
  const listener = once((): RequestListener => {
    const fast = { decide: decisions.decide, directory: decisions.directory, logger, metrics, reads: consistencyOf(infra, cohorts).reads, eventStreamPath: OFREP_STREAM_PATH };
    return createRequestListener(expressApp(), [createFastDecide(fast), createFastOfrep(fast)]);
  });

  return {
    personSections,
    /** read-your-writes: the consistency tokens of this process (docs/read-your-writes.md) */
    get consistency() {
      return consistencyOf(infra, cohorts).consistency;
    },
    /** the decision streams of this process */
    get hub() {
      return hub();
    },
    /** import jobs run by this process */
    get imports() {
      return imports();
    },
    /** the server's request listener: the handshake's fast path, then express */
    get listener(): RequestListener {
      return listener();
    },
    /** the express app alone (every route but the handshake's fast path) */
    get expressApp() {
      return expressApp();
    },
  };
}

export type Api = ReturnType<typeof composeApi>;
