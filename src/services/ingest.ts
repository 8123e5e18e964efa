import type { FeedListener } from '../ports/feed-listener.js';
import type { IdentityService } from './identity.js';
import { formatPath } from '../errors.js';
import { validateEvent, type ValidEvent } from './event-validation.js';
import type { EventStore } from '../ports/event-store.js';
import type { PersonDoc, PersonStatsDelta } from '../domain/person.js';
import type { PersonStore } from '../ports/person-store.js';
import type { Transactions } from '../ports/db.js';

/** One rejected event: its index in the batch, the field (full path) and why. */
export interface IngestError {
  index: number;
  field: string;
  message: string;
}

/** The answer to a batch: counts per outcome, and the rejected events' reasons. */
export interface IngestResult {
  stored: number;
  deduplicated: number;
  rejected: number;
  errors: IngestError[];
}

export interface IngestDeps {
  tx: Transactions;
  events: Pick<EventStore, 'insert'>;
  persons: Pick<PersonStore, 'ensureAndLock' | 'addStats'>;
  identity: Pick<IdentityService, 'sync'>;
  listener: Required<FeedListener>;
  /** counts events by outcome (metrics) */
  count?: (outcome: 'stored' | 'deduplicated' | 'rejected', n: number) => void;
  now?: () => number;
}

export interface IngestOptions {
  /** path of the events array in error fields, e.g. ['body', 'events']; `[]` for a single event at ['body'] */
  path?: ReadonlyArray<string | number>;
  /** treat the batch as one event (its errors name `body.<field>`, without an index) */
  single?: boolean;
}

const SURVEY_SENT = 'survey sent';
const SURVEY_SHOWN = 'survey shown';

/**
 * Event ingestion (PRODUCT.md 4.1): validates a batch, stores the valid events once per
 * `(project, $insert_id)`, and keeps each person's first_seen / last_seen / event_count,
 * creating persons on first sight. Each batch is one transaction of a few statements.
 */
export function createIngestService(deps: IngestDeps) {
  const now = deps.now ?? Date.now;

  return {
    /**
     * Ingests up to 1,000 raw events (the caller enforces the count and byte limits).
     * Invalid events are reported by index; valid ones are stored whatever their neighbours.
     * Throws only when PostgreSQL fails (the whole batch is then not stored).
     */
    async ingest(projectId: number, raw: readonly unknown[], opts: IngestOptions = {}): Promise<IngestResult> {
      const at = now();
      const base = opts.path ?? ['events'];
      const errors: IngestError[] = [];
      const unique = new Map<string, ValidEvent>();
      let deduplicated = 0;
      raw.forEach((r, index) => {
        const v = validateEvent(r, at);
        if ('problem' in v) {
          const where = opts.single ? [...base] : [...base, index];
          const path = v.problem.field ? [...where, ...v.problem.field.split('.')] : where;
          errors.push({ index, field: formatPath(path) || '(body)', message: v.problem.message });
        } else if (unique.has(v.event.insertId)) {
          deduplicated++; // the same $insert_id twice in one batch
        } else {
          unique.set(v.event.insertId, v.event);
        }
      });

      const valid = [...unique.values()];
      const outcome = valid.length ? await store(projectId, valid) : { stored: [] as ValidEvent[], created: new Map<number, string>(), byDid: new Map<string, number>(), versions: new Map<number, number>() };
      deduplicated += valid.length - outcome.stored.length;
      if (outcome.stored.length) await afterCommit(projectId, outcome);

      deps.count?.('stored', outcome.stored.length);
      deps.count?.('deduplicated', deduplicated);
      deps.count?.('rejected', errors.length);
      return { stored: outcome.stored.length, deduplicated, rejected: errors.length, errors };
    },
  };

  async function store(projectId: number, valid: ValidEvent[]) {
    return deps.tx.runRetrying(async (db) => {
      const storedIds = await deps.events.insert(db, projectId, valid);
      const stored = valid.filter((e) => storedIds.has(e.insertId));
      const perDid = new Map<string, { count: number; firstMs: number; lastMs: number }>();
      for (const e of stored) {
        const s = perDid.get(e.distinctId);
        if (!s) perDid.set(e.distinctId, { count: 1, firstMs: e.time, lastMs: e.time });
        else {
          s.count++;
          if (e.time < s.firstMs) s.firstMs = e.time;
          if (e.time > s.lastMs) s.lastMs = e.time;
        }
      }
      const { byDid, created } = await deps.persons.ensureAndLock(db, projectId, [...perDid.keys()]);
      const perPerson = new Map<number, PersonStatsDelta>();
      for (const [did, s] of perDid) {
        const id = byDid.get(did)!;
        const d = perPerson.get(id);
        if (!d) perPerson.set(id, { id, ...s });
        else {
          d.count += s.count;
          d.firstMs = Math.min(d.firstMs, s.firstMs);
          d.lastMs = Math.max(d.lastMs, s.lastMs);
        }
      }
      const versions = await deps.persons.addStats(db, projectId, [...perPerson.values()].sort((a, b) => a.id - b.id));
      return { stored, byDid, created, versions };
    });
  }

  /** Redis write-through (new ids, new persons' documents, survey bookkeeping), then listeners. */
  async function afterCommit(projectId: number, o: { stored: ValidEvent[]; byDid: Map<string, number>; created: Map<number, string>; versions: Map<number, number> }) {
    const reload = new Set<number>();
    const surveyIncrements = new Map<string, number>();
    for (const e of o.stored) {
      if (e.event !== SURVEY_SENT && e.event !== SURVEY_SHOWN) continue;
      const key = e.properties.$survey_key;
      if (typeof key !== 'string') continue;
      reload.add(o.byDid.get(e.distinctId)!);
      if (e.event === SURVEY_SENT) surveyIncrements.set(key, (surveyIncrements.get(key) ?? 0) + 1);
    }
    const docs: PersonDoc[] = [];
    const newIds: Array<[string, number]> = [];
    for (const [pid, did] of o.created) {
      newIds.push([did, pid]);
      if (!reload.has(pid)) {
        docs.push({ id: pid, bucketingKey: did, propertiesJson: '{}', identified: false, version: o.versions.get(pid) ?? 0, surveyHistory: { answered: [], lastShownAt: null } });
      }
    }
    await deps.identity.sync(projectId, { docs, newIds, surveyIncrements }, [...reload]);
    if (o.created.size) {
      await deps.listener.identitiesChanged(projectId, [...o.created].map(([personId, did]) => ({ personId, distinctIds: [did] })));
    }
    await deps.listener.personsChanged(projectId, [...new Set(o.byDid.values())]);
  }
}

export type IngestService = ReturnType<typeof createIngestService>;
