/**
 * The feeds (PRODUCT.md 4, docs/feeds.md): events, the People API, alias, the Redis identity
 * map and the admin person read. Feature modules push their FeedListeners onto `listeners`;
 * the feeds notify them after each commit.
 */
import type { FeedListener } from '../ports/feed-listener.js';
import { createAliasService } from '../services/alias.js';
import { fanOut } from '../services/feed-fan-out.js';
import { createIdentityService } from '../services/identity.js';
import { createIngestService } from '../services/ingest.js';
import { createPeopleService } from '../services/people.js';
import { createPersonReadService } from '../services/person-read.js';
import type { Infra } from './infra.js';
import { once } from './once.js';

export function composeFeeds(infra: Infra) {
  const { logger, metrics } = infra;
  const listeners: FeedListener[] = [];
  const events = fanOut(listeners, (err) => logger.warn({ err }, 'feed listener failed'));

  const identity = once(() => {
    const s = infra.stores;
    const service = createIdentityService({ tx: infra.tx, persons: s.persons, events: s.events, cache: s.identityCache, logger });
    infra.background.push({ stop: () => service.idle() });
    return service;
  });
  const ingest = once(() =>
    createIngestService({ tx: infra.tx, events: infra.stores.events, persons: infra.stores.persons, identity: identity(), listener: events, count: (outcome, n) => metrics.eventsIngested.inc({ outcome }, n) }),
  );
  const people = once(() => createPeopleService({ tx: infra.tx, persons: infra.stores.persons, events: infra.stores.events, audit: infra.stores.audit, staticMembers: infra.stores.staticMembers, identity: identity(), listener: events }));
  const aliases = once(() => createAliasService({ tx: infra.tx, persons: infra.stores.persons, identity: identity(), listener: events }));
  const personRead = once(() => createPersonReadService({ tx: infra.tx, persons: infra.stores.persons, events: infra.stores.events }));

  return {
    /** listeners told after each committed feed change; push before the first write */
    listeners,
    /** the fan-out the feeds call */
    events,
    get identity() {
      return identity();
    },
    get ingest() {
      return ingest();
    },
    get people() {
      return people();
    },
    get aliases() {
      return aliases();
    },
    get personRead() {
      return personRead();
    },
  };
}

export type Feeds = ReturnType<typeof composeFeeds>;
