import { createHash } from 'node:crypto';
import type { FeedListener } from '../ports/feed-listener.js';
import type { IdentityService } from './identity.js';
import { LIMITS, serializeObject } from './event-validation.js';
import { applyUpdate, type EngageUpdate, type PersonState } from './person-operations.js';
import type { EventStore } from '../ports/event-store.js';
import type { AuditStore } from '../ports/audit-store.js';
import type { PersonStore } from '../ports/person-store.js';
import type { StaticMemberStore } from '../ports/static-member-store.js';
import type { Db, Transactions } from '../ports/db.js';

/** Outcome of a batch of People API updates; `errors[].field` is relative to the update. */
export interface EngageResult {
  applied: number;
  rejected: number;
  errors: Array<{ index: number; field: string; message: string }>;
}

export interface PeopleDeps {
  tx: Transactions;
  persons: Pick<PersonStore, 'mappings' | 'ensureAndLock' | 'lockRows' | 'writeProperties' | 'createFor' | 'remove' | 'lockIdentityShared' | 'distinctIdsOf'>;
  events: Pick<EventStore, 'deleteForDistinctIds'>;
  audit: Pick<AuditStore, 'write'>;
  staticMembers: Pick<StaticMemberStore, 'removeEverywhere'>;
  identity: Pick<IdentityService, 'sync'>;
  listener: Required<FeedListener>;
  now?: () => number;
}

interface Working extends PersonState {
  id: number;
  dirty: boolean;
}

/**
 * The People API (PRODUCT.md 4.2): one transaction per batch; the persons involved are
 * locked (FOR UPDATE, in id order) and each person's updates apply in arrival order.
 * An update that would push properties past 640 KB, or that does not fit the stored
 * value, is rejected by index; the others apply. `$delete` erases the person, its
 * distinct ids and its events, and writes an audit entry.
 */
export function createPeopleService(deps: PeopleDeps) {
  const now = deps.now ?? Date.now;
  const { persons } = deps;

  return {
    async apply(projectId: number, updates: readonly EngageUpdate[], opts: { actor?: string } = {}): Promise<EngageResult> {
      const actor = opts.actor ?? `project_token:${projectId}`;
      const at = now();
      const hasDelete = updates.some((u) => u.delete);
      const outcome = await deps.tx.runRetrying(async (db) => {
        if (hasDelete) await persons.lockIdentityShared(db, projectId);
        const writers = [...new Set(updates.filter((u) => !u.delete).map((u) => u.distinctId))];
        const { byDid, created } = await persons.ensureAndLock(db, projectId, writers);
        const deleteOnly = [...new Set(updates.filter((u) => u.delete).map((u) => u.distinctId))].filter((d) => !byDid.has(d));
        for (const [d, pid] of await persons.mappings(db, projectId, deleteOnly)) byDid.set(d, pid);
        const rows = await persons.lockRows(db, projectId, [...byDid.values()]);
        const state = new Map<number, Working>();
        for (const r of rows.values()) state.set(r.id, { id: r.id, properties: r.properties, setOnceAt: r.setOnceAt, dirty: false });
        const createdIds = new Map(created);
        const removed = new Map<number, string[]>();
        const errors: EngageResult['errors'] = [];

        for (const [index, u] of updates.entries()) {
          let pid = byDid.get(u.distinctId);
          let person = pid === undefined ? undefined : state.get(pid);
          if (u.delete) {
            if (person) removed.set(person.id, await erase(db, projectId, person.id, u.distinctId, actor, byDid, state));
            continue;
          }
          if (!person) {
            // erased earlier in this batch: the id starts a new person
            pid = (await persons.createFor(db, projectId, [u.distinctId])).get(u.distinctId);
            if (pid === undefined) throw Object.assign(new Error('distinct id taken concurrently'), { code: '40001' });
            person = { id: pid, properties: {}, setOnceAt: {}, dirty: false };
            byDid.set(u.distinctId, pid);
            state.set(pid, person);
            createdIds.set(pid, u.distinctId);
          }
          const next = applyUpdate(person, u, at);
          if ('problem' in next) {
            errors.push({ index, field: next.problem.field, message: next.problem.message });
            continue;
          }
          const size = serializeObject(next.state.properties, LIMITS.personPropertiesBytes);
          if ('problem' in size) {
            errors.push({ index, field: '(properties)', message: `person properties ${size.problem}` });
            continue;
          }
          Object.assign(person, next.state, { dirty: true });
        }
        const dirty = [...state.values()].filter((s) => s.dirty);
        await persons.writeProperties(db, projectId, dirty.sort((a, b) => a.id - b.id));
        const live = [...createdIds.keys()].filter((id) => state.has(id));
        const idsOfCreated = await persons.distinctIdsOf(db, projectId, live);
        return { errors, dirty: dirty.map((d) => d.id), created: idsOfCreated, removed };
      });

      const newIds: Array<[string, number]> = [];
      for (const [pid, dids] of outcome.created) for (const d of dids) newIds.push([d, pid]);
      const removedIds = [...outcome.removed.values()].flat();
      const changed = [...new Set([...outcome.dirty, ...outcome.created.keys()])];
      await deps.identity.sync(projectId, { newIds, removedIds, removedPersons: [...outcome.removed.keys()] }, changed);
      if (outcome.created.size) {
        await deps.listener.identitiesChanged(projectId, [...outcome.created].map(([personId, distinctIds]) => ({ personId, distinctIds })));
      }
      if (changed.length) await deps.listener.personsChanged(projectId, changed);
      if (outcome.removed.size) {
        await deps.listener.personsRemoved(projectId, [...outcome.removed.keys()]);
        await deps.listener.personsErased(projectId, [...outcome.removed].map(([personId, distinctIds]) => ({ personId, distinctIds })));
      }
      return { applied: updates.length - outcome.errors.length, rejected: outcome.errors.length, errors: outcome.errors };
    },
  };

  /** GDPR erasure of one locked person inside the batch's transaction; returns its distinct ids. */
  async function erase(db: Db, projectId: number, personId: number, requestedId: string, actor: string, byDid: Map<string, number>, state: Map<number, Working>): Promise<string[]> {
    const dids = await persons.remove(db, projectId, personId);
    const events = await deps.events.deleteForDistinctIds(db, projectId, dids);
    const listed = await deps.staticMembers.removeEverywhere(db, projectId, dids);
    await deps.audit.write({
      projectId, actor, action: 'delete', entityKind: 'person', entityKey: String(personId),
      // Nothing erased stays, not even the id: its SHA-256 lets support confirm which id was erased.
      before: { distinct_id_sha256: createHash('sha256').update(requestedId).digest('hex'), distinct_id_count: dids.length, events_deleted: events, static_listings_deleted: listed },
    }, db);
    for (const d of dids) byDid.delete(d);
    state.delete(personId);
    return dids;
  }
}

export type PeopleService = ReturnType<typeof createPeopleService>;
