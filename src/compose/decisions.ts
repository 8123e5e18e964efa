/**
 * The decision path (docs/handshake.md): in-memory snapshots refreshed by pub/sub and a
 * version poll, one Redis call per handshake, the pure core; exposures off the hot path.
 */
import { createDecideService } from '../services/decide.js';
import { createExposureRecorder } from '../services/exposures.js';
import { createProjectDirectory } from '../services/project-directory.js';
import { createSnapshots } from '../services/snapshots.js';
import type { Feeds } from './feeds.js';
import type { Infra } from './infra.js';
import { once } from './once.js';

export function composeDecisions(infra: Infra, feeds: Feeds) {
  const { config, logger, metrics } = infra;
  const directory = once(() => createProjectDirectory({ store: infra.stores.projects }));
  const snapshots = once(() => {
    const notifier = infra.notifier;
    const s = createSnapshots({ source: infra.stores.snapshotSource, logger, pollMs: config.DEFINITIONS_POLL_MS, subscribe: (onProject) => notifier.subscribe((id) => { directory().invalidate(); onProject(id); }), onLoad: () => metrics.snapshotLoads.inc() });
    infra.background.push(s);
    return s;
  });
  const exposures = once(() => {
    const e = createExposureRecorder({ marks: infra.stores.exposureMarks, ingest: (projectId, events) => feeds.ingest.ingest(projectId, events), logger, sampleRate: config.EXPOSURE_SAMPLE_RATE });
    infra.background.push(e);
    return e;
  });
  const decide = once(() =>
    createDecideService({ snapshots: snapshots(), reader: infra.stores.handshakeReader, identityFallback: { resolve: feeds.identity.resolveFromStore }, membership: infra.stores.membership, limiter: infra.stores.rateLimiter, metrics, logger, exposures: exposures(), rateLimitPerS: config.RATE_LIMIT_PER_S }),
  );

  return {
    get directory() {
      return directory();
    },
    get snapshots() {
      return snapshots();
    },
    get exposures() {
      return exposures();
    },
    get decide() {
      return decide();
    },
  };
}

export type Decisions = ReturnType<typeof composeDecisions>;
