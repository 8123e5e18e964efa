/**
 * Live decisions and integrations (issue 20; docs/stream.md, docs/webhooks.md, docs/imports.md):
 * the live channel between processes, the decision-stream hub, webhook admin and dispatcher,
 * the cohort-switch listener and import jobs. One set per infra, built on first use.
 */
import { createWebhookSender } from '../adapters/http/webhook-sender.js';
import { createImportJobStore } from '../adapters/postgres/import-job-store.js';
import { createCohortDiffReader, createLiveChannel } from '../adapters/redis/live-channel.js';
import { createStreamHub } from '../http/stream/hub.js';
import { createImportJobs } from '../import/import-jobs.js';
import { createCohortSwitchListener, createLiveFeedListener } from '../services/live-changes.js';
import { createWebhookDispatcher } from '../services/webhook-dispatcher.js';
import { createWebhookAdmin } from '../services/webhooks.js';
import type { CohortFeature } from './cohorts.js';
import type { Decisions } from './decisions.js';
import type { Feeds } from './feeds.js';
import type { Infra } from './infra.js';
import { once } from './once.js';

const built = new WeakMap<Infra, ReturnType<typeof make>>();

function make(infra: Infra) {
  const { config, logger } = infra;
  const memory = infra.memory;
  const live = once(() => memory?.live ?? createLiveChannel({ publisher: () => infra.redisBulk, url: config.REDIS_URL, keys: infra.keys }));
  const sender = once(() => createWebhookSender({ allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_URLS }));
  const webhookAdmin = once(() => createWebhookAdmin({ store: infra.stores.webhooks, sender: sender(), audit: infra.stores.audit }));
  const dispatcher = once(() =>
    createWebhookDispatcher({
      store: infra.stores.webhooks, sender: sender(), logger: logger.child({ component: 'webhooks' }),
      retryBaseMs: config.WEBHOOK_RETRY_BASE_MS, retryWindowMs: config.WEBHOOK_RETRY_WINDOW_MS, disableAfter: config.WEBHOOK_DISABLE_AFTER,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS, pollMs: config.WEBHOOK_POLL_MS,
    }),
  );
  const cohortDiff = once(() => memory?.cohortDiff ?? createCohortDiffReader({ redis: infra.redisCohorts, keys: infra.keys }));
  const onCohortSwitched = once(() => createCohortSwitchListener({ diff: cohortDiff(), outbox: infra.stores.webhooks, live: live(), logger }));
  const feedListener = once(() => createLiveFeedListener({ live: live(), logger }));
  return { live, sender, webhookAdmin, dispatcher, cohortDiff, onCohortSwitched, feedListener };
}

/** The live parts of one process (memoized per infra). */
export function liveOf(infra: Infra) {
  let l = built.get(infra);
  if (!l) built.set(infra, (l = make(infra)));
  return l;
}

/** The stream hub of an API process; registered as background work (heartbeats, subscriptions). */
export function composeStreams(infra: Infra, decisions: Decisions) {
  const hub = createStreamHub({ decide: decisions.decide, snapshots: decisions.snapshots, live: liveOf(infra).live(), logger: infra.logger.child({ component: 'stream' }), heartbeatMs: infra.config.STREAM_HEARTBEAT_MS });
  infra.background.push(hub);
  return hub;
}

/**
 * Import jobs over this process's feeds and static members (the runner resumes open jobs on
 * start when `resume`).
 */
export function composeImports(infra: Infra, feeds: Feeds, cohorts: Pick<CohortFeature, 'staticMembers'>, opts: { resume: boolean }) {
  const jobs = createImportJobs({
    store: createImportJobStore(infra.pool),
    ingest: feeds.ingest,
    people: feeds.people,
    members: cohorts.staticMembers,
    logger: infra.logger.child({ component: 'imports' }),
    dir: infra.config.IMPORT_DIR,
    maxBytes: infra.config.IMPORT_MAX_BYTES,
  });
  if (opts.resume) infra.background.push(jobs);
  return jobs;
}
