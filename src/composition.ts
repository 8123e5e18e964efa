/**
 * The composition root: each entry point asks for what it uses. `serve` builds the API (and
 * the refresher when RUN_WORKER); `worker` builds the refresher alone (no HTTP, no decision
 * path); CLI commands get the admin services over lazily opened connections; tests get the
 * whole graph. Only entry points (src/main.ts, src/cli/, test/, bench/) import this file.
 */
import { createPersonScan } from './adapters/postgres/person-scan.js';
import { createMembershipScan } from './adapters/redis/membership-scan.js';
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { composeAdmin } from './compose/admin.js';
import { composeApi } from './compose/api.js';
import { composeCohorts, type CohortFeature } from './compose/cohorts.js';
import { composeDecisions } from './compose/decisions.js';
import { composeFeeds, type Feeds } from './compose/feeds.js';
import { createInfra, type InfraOptions } from './compose/infra.js';
import { composeRefresher, type RefresherSettings } from './compose/refresher.js';
import { composeImports, liveOf } from './compose/live.js';

export type ComposeOptions = InfraOptions;

/** Static membership follows identity, and (enterprise) cohorts follow the feeds. */
function wireFeedListeners(feeds: Feeds, cohorts: CohortFeature): void {
  feeds.listeners.push(cohorts.membership.listener, cohorts.eventDriven.listener, cohorts.history.listener);
}

function composeServices(config: Config, opts: ComposeOptions) {
  const infra = createInfra(config, opts);
  const feeds = composeFeeds(infra);
  const cohorts = composeCohorts(infra);
  const decisions = composeDecisions(infra, feeds);
  // A changed project (tier, allowed_origins) is re-read here at once, elsewhere on the notice.
  const admin = composeAdmin(infra, (projectId) => {
    decisions.directory.invalidate();
    return infra.notifyDefinitions(projectId);
  });
  wireFeedListeners(feeds, cohorts);
  // Decision streams follow persons the feeds change (docs/stream.md).
  feeds.listeners.push(liveOf(infra).feedListener());
  return { infra, admin, feeds, cohorts, decisions };
}

/** `serve`: the HTTP API, plus the refresher in-process when RUN_WORKER. */
export function composeServe(config: Config, opts: ComposeOptions = {}) {
  const { infra, admin, feeds, cohorts, decisions } = composeServices(config, opts);
  const api = composeApi(infra, { admin, feeds, cohorts, decisions });
  const listener: RequestListener = api.listener;
  if (config.RUN_WORKER) infra.background.push(composeRefresher(infra, cohorts), liveOf(infra).dispatcher());
  return {
    logger: infra.logger,
    listener,
    /** INIT_ADMIN_KEY: an admin key with this secret for every project */
    ensureInitKey: (secret: string) => admin.projects.ensureInitKey(secret),
    start: infra.start,
    close: infra.close,
  };
}

/** `worker`: the refresher alone. Builds neither the API nor the decision path. */
export function composeWorker(config: Config, opts: ComposeOptions = {}) {
  const infra = createInfra(config, opts);
  const refresher = composeRefresher(infra, composeCohorts(infra));
  // The webhook outbox is delivered by the refresher's processes (docs/webhooks.md).
  infra.background.push(liveOf(infra).dispatcher());
  return { logger: infra.logger, refresher, start: infra.start, close: infra.close };
}

/**
 * CLI commands (init, import, rules, demo): the admin and feed services they call in-process,
 * each built on first use (so `init` opens no Redis connection). No refresher runs.
 */
export function composeCli(config: Config, opts: ComposeOptions = {}) {
  const { infra, admin, feeds, cohorts } = composeServices({ ...config, RUN_WORKER: false }, opts);
  let jobs: ReturnType<typeof composeImports> | null = null;
  const importJobs = () => (jobs ??= composeImports(infra, feeds, cohorts, { resume: false }));
  return {
    logger: infra.logger as Logger,
    get projects() {
      return admin.projects;
    },
    get projectStore() {
      return infra.stores.projects;
    },
    get definitions() {
      return admin.definitions;
    },
    get audit() {
      return infra.stores.audit;
    },
    get events() {
      return { store: infra.stores.events, db: infra.tx.db };
    },
    get ingest() {
      return feeds.ingest;
    },
    get people() {
      return feeds.people;
    },
    get personRead() {
      return feeds.personRead;
    },
    get cohortService() {
      return cohorts.service;
    },
    get cohortStore() {
      return infra.stores.cohorts;
    },
    get staticMembers() {
      return cohorts.staticMembers;
    },
    get cohortsOfPerson() {
      return cohorts.membership.cohortsOfPerson;
    },
    get cohortLifecycle() {
      return cohorts.lifecycle;
    },
    /** for `rules lint`, which asks which condition properties persons have */
    get pool() {
      return infra.pool;
    },
    /** persons (PostgreSQL) and live cohort members (Redis) for `rules plan --impact` */
    get impactSource() {
      return { ...createPersonScan(infra.pool), ...createMembershipScan({ redis: infra.redisBulk, keys: infra.keys }) };
    },
    /** import jobs run in this process (the CLI's import) */
    get importJobs() {
      return importJobs();
    },
    get webhookAdmin() {
      return liveOf(infra).webhookAdmin();
    },
    start: infra.start,
    close: infra.close,
  };
}

export type CliComposition = ReturnType<typeof composeCli>;

/**
 * Everything, for tests: the same graph `serve` builds, with its parts reachable by the names
 * tests use. `refresher` is built always (tests run ticks by hand) and started only when
 * RUN_WORKER.
 */
export function composeAll(config: Config, opts: ComposeOptions & { refresher?: RefresherSettings } = {}) {
  const { infra, admin, feeds, cohorts, decisions } = composeServices(config, opts);
  const api = composeApi(infra, { admin, feeds, cohorts, decisions });
  const refresher = composeRefresher(infra, cohorts, opts.refresher);
  const live = liveOf(infra);
  if (config.RUN_WORKER) infra.background.push(refresher, live.dispatcher());
  const s = infra.stores;
  // Build the whole graph now, so background work registers before start().
  void api.listener;
  return {
    config,
    logger: infra.logger,
    pool: infra.pool,
    /** the decision path's Redis connection (throws in memory mode: there is none) */
    get redis() {
      return infra.redis;
    },
    /** which stores this graph uses */
    modes: infra.modes,
    /** memory mode: the in-process adapters and their state; undefined with Redis */
    get memory() {
      return infra.memory;
    },
    keys: infra.keys,
    metrics: infra.metrics,
    tx: infra.tx,
    stores: s,
    projects: admin.projects,
    definitions: admin.definitions,
    directory: decisions.directory,
    snapshots: decisions.snapshots,
    decide: decisions.decide,
    exposures: decisions.exposures,
    cohortLifecycle: cohorts.lifecycle,
    get impactSource() {
      return { ...createPersonScan(infra.pool), ...createMembershipScan({ redis: infra.redisBulk, keys: infra.keys }) };
    },
    // What the CLI composition offers, under the same names (CLI code runs in tests too).
    projectStore: s.projects,
    audit: s.audit,
    events: { store: s.events, db: infra.tx.db },
    cohortService: cohorts.service,
    cohortStore: s.cohorts,
    staticMembers: cohorts.staticMembers,
    cohortsOfPerson: cohorts.membership.cohortsOfPerson,
    refresher,
    eventDrivenRecompute: cohorts.eventDriven,
    /** read-your-writes tokens (docs/read-your-writes.md) */
    get consistency() {
      return api.consistency;
    },
    feedListeners: feeds.listeners,
    feedEvents: feeds.events,
    cohorts: {
      stores: { cohorts: s.cohorts, runs: s.runs, leases: s.leases, staticMembers: s.staticMembers, membership: s.membership },
      service: cohorts.service,
      staticMembers: cohorts.staticMembers,
      refreshCohort: cohorts.refreshCohort,
      recomputePersons: cohorts.recomputePersons,
      cohortsOfPerson: cohorts.membership.cohortsOfPerson,
      listener: cohorts.membership.listener,
    },
    personStore: s.persons,
    eventStore: s.events,
    identity: feeds.identity,
    ingest: feeds.ingest,
    people: feeds.people,
    aliases: feeds.aliases,
    personRead: feeds.personRead,
    personSections: api.personSections,
    /** the server's request listener (fast path, then express) */
    app: api.listener,
    /** the express app alone (every route but the handshake's fast path) */
    expressApp: api.expressApp,
    readiness: infra.readiness,
    /** decision streams, webhooks and import jobs (issue 20) */
    streams: api.hub,
    webhooks: { admin: live.webhookAdmin(), dispatcher: live.dispatcher(), store: s.webhooks },
    webhookAdmin: live.webhookAdmin(),
    importJobs: api.imports,
    live: live.live(),
    start: infra.start,
    close: infra.close,
  };
}

export type Composition = ReturnType<typeof composeAll>;
