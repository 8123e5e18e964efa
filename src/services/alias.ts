import { AppError, conflict, invalid } from '../errors.js';
import type { FeedListener } from '../ports/feed-listener.js';
import type { IdentityService } from './identity.js';
import { LIMITS, checkDistinctId, serializeObject } from './event-validation.js';
import { mergePersons } from './person-operations.js';
import type { PersonStore } from '../ports/person-store.js';
import type { Db, Transactions } from '../ports/db.js';

/** The person both ids belong to after an alias. */
export interface AliasResult {
  personId: number;
  distinctIds: string[];
  bucketingKey: string;
  /** true when the alias's (anonymous) person was merged into distinct_id's person */
  merged: boolean;
}

export interface AliasDeps {
  tx: Transactions;
  persons: Pick<PersonStore, 'lockIdentityShared' | 'mappings' | 'lockRows' | 'insertPerson' | 'attach' | 'setIdentified' | 'merge' | 'distinctIdsOf'>;
  identity: Pick<IdentityService, 'sync'>;
  listener: Required<FeedListener>;
}

// Thrown inside the transaction when a concurrent writer changed an id we read: run it again.
const raced = () => Object.assign(new Error('identity changed concurrently'), { code: '40001' });

/**
 * Alias (PRODUCT.md 4.3, 5): links the anonymous id `alias` to the identified id
 * `distinctId`. Cases: neither known -> one identified person holding both, bucketing key
 * = alias; only alias known -> that person gains distinctId (key kept); only distinctId
 * known -> its person gains alias; both on one person -> nothing to do (idempotent);
 * both on different persons -> the alias's person is merged into distinctId's (its key
 * wins), unless the alias's person is already identified: 409 (account-takeover guard).
 * Throws AppError invalid_request (placeholder or equal ids), conflict, unprocessable
 * (merged properties over 640 KB).
 */
export function createAliasService(deps: AliasDeps) {
  const { persons } = deps;

  async function link(db: Db, projectId: number, distinctId: string, alias: string) {
    await persons.lockIdentityShared(db, projectId);
    const map = await persons.mappings(db, projectId, [distinctId, alias]);
    const pd = map.get(distinctId);
    const pa = map.get(alias);
    if (pd === undefined && pa === undefined) {
      const id = await persons.insertPerson(db, projectId, alias, true);
      if ((await persons.attach(db, projectId, id, [distinctId, alias])).length !== 2) throw raced();
      return { target: id, attached: [distinctId, alias], from: null as number | null, moved: [] as string[] };
    }
    if (pd !== undefined && pd === pa) {
      if ((await persons.lockRows(db, projectId, [pd])).size !== 1) throw raced();
      await persons.setIdentified(db, projectId, pd);
      return { target: pd, attached: [], from: null, moved: [] };
    }
    if (pd === undefined) {
      const rows = await persons.lockRows(db, projectId, [pa!]);
      const anon = rows.get(pa!);
      if (!anon) throw raced();
      if (anon.identified) throw takeover(alias);
      if ((await persons.attach(db, projectId, pa!, [distinctId])).length !== 1) throw raced();
      await persons.setIdentified(db, projectId, pa!);
      return { target: pa!, attached: [distinctId], from: null, moved: [] };
    }
    if (pa === undefined) {
      if ((await persons.lockRows(db, projectId, [pd])).size !== 1) throw raced();
      if ((await persons.attach(db, projectId, pd, [alias])).length !== 1) throw raced();
      await persons.setIdentified(db, projectId, pd);
      return { target: pd, attached: [alias], from: null, moved: [] };
    }
    const rows = await persons.lockRows(db, projectId, [pd, pa]);
    const identified = rows.get(pd);
    const anon = rows.get(pa);
    if (!identified || !anon) throw raced();
    if (anon.identified) throw takeover(alias);
    const merged = mergePersons(anon, identified);
    const size = serializeObject(merged.properties, LIMITS.personPropertiesBytes);
    if ('problem' in size) throw new AppError('unprocessable', `the merged person properties ${size.problem}`);
    const moved = await persons.merge(db, projectId, pa, pd, merged);
    return { target: pd, attached: [], from: pa, moved };
  }

  return {
    async alias(projectId: number, distinctId: string, alias: string): Promise<AliasResult> {
      for (const [field, value] of [['distinct_id', distinctId], ['alias', alias]] as const) {
        const problem = checkDistinctId(value);
        if (problem) throw invalid(`body.${field}: ${problem}`, { issues: [{ path: `body.${field}`, message: problem }] });
      }
      if (distinctId === alias) throw invalid('body.alias: must differ from distinct_id', { issues: [{ path: 'body.alias', message: 'must differ from distinct_id' }] });

      const out = await deps.tx.runRetrying(async (db) => {
        const r = await link(db, projectId, distinctId, alias);
        const [person] = (await persons.lockRows(db, projectId, [r.target])).values();
        if (!person) throw raced(); // erased concurrently
        const dids = (await persons.distinctIdsOf(db, projectId, [r.target])).get(r.target) ?? [];
        return { ...r, bucketingKey: person.bucketingKey, dids };
      });

      const changedIds = [...out.attached, ...out.moved];
      if (changedIds.length || out.from !== null) {
        await deps.identity.sync(projectId, {
          setIds: changedIds.map((d) => [d, out.target] as const),
          removedPersons: out.from === null ? [] : [out.from],
        }, [out.target]);
        await deps.listener.identitiesChanged(projectId, [{ personId: out.target, distinctIds: out.dids }]);
        await deps.listener.personsChanged(projectId, [out.target]);
        if (out.from !== null) await deps.listener.personsRemoved(projectId, [out.from]);
      } else {
        await deps.identity.sync(projectId, {}, [out.target]); // identified flag may have changed
      }
      return { personId: out.target, distinctIds: out.dids, bucketingKey: out.bucketingKey, merged: out.from !== null };
    },
  };
}

function takeover(alias: string): AppError {
  return conflict(`alias "${alias}" belongs to a person that is already identified; it cannot be merged into another person`, { field: 'body.alias' });
}

export type AliasService = ReturnType<typeof createAliasService>;
