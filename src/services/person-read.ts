import { notFound } from '../errors.js';
import type { PersonStore } from '../ports/person-store.js';
import type { EventStore } from '../ports/event-store.js';
import type { Transactions } from '../ports/db.js';

/** A person as support staff see it (PRODUCT.md 9 `persons/:distinct_id`). Times are unix ms. */
export interface PersonProfile {
  person: {
    id: number;
    bucketingKey: string;
    properties: Record<string, unknown>;
    identified: boolean;
    firstSeen: number | null;
    lastSeen: number | null;
    eventCount: number;
  };
  /** every distinct id of the person, sorted */
  distinctIds: string[];
  stats: {
    eventCount: number;
    firstSeen: number | null;
    lastSeen: number | null;
    /** the 20 most frequent event names with their counts */
    eventsByName: Array<{ event: string; count: number }>;
  };
}

export interface PersonReadDeps {
  tx: Transactions;
  persons: Pick<PersonStore, 'mappings' | 'stats' | 'distinctIdsOf'>;
  events: Pick<EventStore, 'countsByName'>;
}

/** Admin reads of one person, from PostgreSQL (the source of truth, not the Redis map). */
export function createPersonReadService(deps: PersonReadDeps) {
  const { tx, persons, events } = deps;
  return {
    /** The profile of the person holding `distinctId`; throws not_found when there is none. */
    async profile(projectId: number, distinctId: string): Promise<PersonProfile> {
      const personId = (await persons.mappings(tx.db, projectId, [distinctId])).get(distinctId);
      const row = personId === undefined ? null : await persons.stats(tx.db, projectId, personId);
      if (!row) throw notFound(`person with distinct_id ${JSON.stringify(distinctId)} not found`);
      const distinctIds = (await persons.distinctIdsOf(tx.db, projectId, [row.id])).get(row.id) ?? [];
      const eventsByName = await events.countsByName(tx.db, projectId, distinctIds, 20);
      return {
        person: {
          id: row.id, bucketingKey: row.bucketingKey, properties: row.properties, identified: row.identified,
          firstSeen: row.firstSeen, lastSeen: row.lastSeen, eventCount: row.eventCount,
        },
        distinctIds,
        stats: { eventCount: row.eventCount, firstSeen: row.firstSeen, lastSeen: row.lastSeen, eventsByName },
      };
    },
  };
}

export type PersonReadService = ReturnType<typeof createPersonReadService>;
