import type { Composition } from '../../src/composition.js';

/**
 * What a test may check in the fast store, in either mode (docs/embedded.md): Redis keys, or
 * the in-process state of memory mode (REDIS_URL=memory:).
 */
export async function personDocStored(t: Composition, projectId: number, personId: number): Promise<boolean> {
  const m = t.memory;
  if (m) return m.state.identity.get(projectId)?.docs.has(personId) ?? false;
  return (await t.redis.exists(t.keys.person(projectId, personId))) === 1;
}

/** Whether one materialized version's member set exists (an empty one never does). */
export async function memberSetExists(t: Composition, projectId: number, cohortId: number, version: number): Promise<boolean> {
  const m = t.memory;
  if (m) return m.state.cohorts.get(`${projectId}:${cohortId}`)?.sets.has(version) ?? false;
  return (await t.redis.exists(t.keys.cohortMembers(projectId, cohortId, version))) === 1;
}
