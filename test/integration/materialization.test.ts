import { CHUNK_IDS } from '../../src/adapters/redis/membership-lua.js';
import { readVersionMembers } from '../../src/adapters/redis/membership-read.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { createRedis, waitForRedis } from '../../src/adapters/redis/client.js';
import { testRedisUrl } from '../helpers/databases.js';

const N = 50_000;

let t: TestContext;
let projectId: number;

beforeAll(async () => {
  t = await createTestContext();
  projectId = (await t.newProject('materialize')).id;
});
afterAll(async () => {
  await t.cleanup();
});

async function dynamicCohort(key: string, definition: unknown): Promise<number> {
  const res = await t.http.post(`/v1/projects/${projectId}/cohorts`).set(t.admin).send({ key, name: key, kind: 'dynamic', definition });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const { rows } = await t.pool.query<{ id: number }>('SELECT id FROM cohorts WHERE project_id = $1 AND key = $2', [projectId, key]);
  return rows[0].id;
}

const refresh = (cohortId: number, worker = 'test') => t.cohorts.refreshCohort(projectId, cohortId, { worker });

/** Shard 0's index of a version: the version's one index unless membership is sharded (keys.ts). */
const firstIndex = (cohortId: number, version: number) => t.keys.shardMembersBase(projectId, cohortId, 0) + version;
/** Whether any key of a version's member set exists: an index in some shard, or its `:d` set. */
async function versionExists(cohortId: number, version: number): Promise<boolean> {
  const indexes = Array.from({ length: t.keys.shards }, (_, s) => t.keys.shardMembersBase(projectId, cohortId, s) + version);
  for (const k of [...indexes, `${t.keys.cohortMembers(projectId, cohortId, version)}:d`]) if ((await t.redis.exists(k)) === 1) return true;
  return false;
}
const shardOfPerson = (id: number) => t.keys.shardOfChunk(Math.floor(id / CHUNK_IDS));

// Pointer and set read atomically, like the handshake: version, size and the sample's membership.
/**
 * Reads one whole version in one script, as the handshake does: the live version, how many
 * members it has (every chunk: SCARD of an intset chunk, BITCOUNT of a bitmap one, plus the
 * `:d` set) and whether each person id in ARGV[2..] is a member (membership-lua.ts layout).
 * With sharded membership, one shard's part of the version (KEYS[1] and ARGV[1] that shard's
 * pointer and base): each shard switches atomically on its own.
 */
const PROBE = `
local v = redis.call('GET', KEYS[1])
if not v then return { 0, 0, {} } end
local index = ARGV[1] .. v
local size = redis.call('SCARD', index .. ':d')
for _, c in ipairs(redis.call('SMEMBERS', index)) do
  size = size + redis.call('SCARD', index .. ':s' .. c) + redis.call('BITCOUNT', index .. ':b' .. c)
end
local bits = {}
for i = 2, #ARGV do
  local n = tonumber(ARGV[i])
  local c = string.format('%d', math.floor(n / ${CHUNK_IDS}))
  local o = n % ${CHUNK_IDS}
  local hit = 0
  if redis.call('SISMEMBER', index .. ':s' .. c, o) == 1 or redis.call('GETBIT', index .. ':b' .. c, o) == 1 then hit = 1 end
  bits[#bits + 1] = hit
end
return { tonumber(v), size, bits }
`;

describe('materialization', () => {
  it('switches readers atomically: a reader polling during a 50,000-member write never sees a partial set', async () => {
    // Persons 1..N are group a, N+1..2N group b; the cohort moves from a to b.
    const { rows } = await t.pool.query<{ id: number }>(
      `INSERT INTO persons (project_id, bucketing_key, properties)
       SELECT $1, 'p' || i, jsonb_build_object('g', CASE WHEN i <= $2 THEN 'a' ELSE 'b' END) FROM generate_series(1, $2 * 2) AS i
       RETURNING id`,
      [projectId, N],
    );
    const ids = rows.map((r) => r.id).sort((x, y) => x - y);
    const a = ids.slice(0, N);
    const b = ids.slice(N);
    const cohortId = await dynamicCohort('moving', { type: 'person', key: 'g', operator: 'eq', value: 'a' });
    expect(await refresh(cohortId)).toMatchObject({ status: 'ok', version: 1, memberCount: N });

    await t.http.patch(`/v1/projects/${projectId}/cohorts/moving`).set(t.admin).send({ definition: { type: 'person', key: 'g', operator: 'eq', value: 'b' } }).expect(200);
    const sample = [a[0], a[N - 1], b[0], b[N - 1]];
    // What each shard holds of each version (all of it in shard 0 with one shard).
    const expectedSize = (ids: number[], shard: number) => ids.filter((id) => shardOfPerson(id) === shard).length;
    const shards = [...new Set(ids.map(shardOfPerson))];
    const reader = createRedis({ url: testRedisUrl() });
    await waitForRedis(reader, 3_000);
    const seen: Array<{ shard: number; version: number; size: number; bits: number[]; probed: number[] }> = [];
    let done = false;
    const probe = async () => {
      for (const shard of shards) {
        const probed = sample.filter((id) => shardOfPerson(id) === shard);
        const [version, size, bits] = (await reader.eval(PROBE, 1, t.keys.shardCurrent(projectId, cohortId, shard), t.keys.shardMembersBase(projectId, cohortId, shard), ...probed.map(String))) as [number, number, number[]];
        seen.push({ shard, version, size, bits, probed });
      }
    };
    const poll = (async () => {
      while (!done) {
        await probe();
        const viaStore = await t.cohorts.stores.membership.isMember(projectId, [cohortId, cohortId], { personId: a[N - 1], distinctIds: [] });
        expect(viaStore[0]).toBe(viaStore[1]);
      }
    })();
    const outcome = await refresh(cohortId);
    done = true;
    await poll;
    await probe();
    reader.disconnect();

    // the reader saw the old version while the new one was written, then the new one
    expect(seen.filter((o) => o.version === 1).length).toBeGreaterThan(0);
    expect(seen.filter((o) => o.version === 2).length).toBeGreaterThan(0);
    expect(outcome).toMatchObject({ status: 'ok', version: 2, memberCount: N });
    expect(seen.length).toBeGreaterThan(2);
    const aSet = new Set(a);
    for (const { shard, version, size, bits, probed } of seen) {
      expect(size).toBe(expectedSize(version === 1 ? a : b, shard));
      expect(bits).toEqual(probed.map((id) => (aSet.has(id) === (version === 1) ? 1 : 0)));
    }
    expect(seen[seen.length - 1].version).toBe(2);
    expect(await versionExists(cohortId, 1)).toBe(false);
    const bytes = (await t.pool.query('SELECT stats FROM cohort_calculations WHERE cohort_id = $1 ORDER BY id DESC LIMIT 1', [cohortId])).rows[0].stats.redis_bytes;
    // 50,000 consecutive ids: bitmap chunks, well under 4 bytes per membership.
    expect(bytes).toBeGreaterThan(N / 8);
    expect(bytes).toBeLessThan(N * 4);
  }, 60_000);

  it('keeps the previous version live when a refresh fails, and records the error', async () => {
    const cohortId = await dynamicCohort('fragile', { type: 'person', key: 'g', operator: 'eq', value: 'a' });
    expect(await refresh(cohortId)).toMatchObject({ status: 'ok', version: 1, memberCount: N });
    // A definition that slipped past save-time checks (written straight to the table) fails at run time.
    await t.pool.query(`UPDATE cohorts SET definition = '{"type":"person","key":"g","operator":"regex","value":"(unclosed"}' WHERE id = $1`, [cohortId]);
    const failed = await refresh(cohortId);
    expect(failed).toMatchObject({ status: 'failed', code: 'invalid_regex' });
    const { rows } = await t.pool.query('SELECT state, version, pending_version, member_count, errors_calculating, last_error_code, lease_owner FROM cohorts WHERE id = $1', [cohortId]);
    expect(rows[0]).toEqual({ state: 'active', version: 1, pending_version: null, member_count: N, errors_calculating: 1, last_error_code: 'invalid_regex', lease_owner: null });
    const hist = await t.pool.query('SELECT version, error_code, finished_at FROM cohort_calculations WHERE cohort_id = $1 ORDER BY id', [cohortId]);
    expect(hist.rows.map((r) => [r.version, r.error_code, r.finished_at !== null])).toEqual([[1, null, true], [2, 'invalid_regex', true]]);
    expect(await t.redis.get(t.keys.cohortCurrent(projectId, cohortId))).toBe('1');
    expect(await readVersionMembers(t.redis, t.keys, projectId, cohortId, 1)).toHaveLength(N);
    expect(await versionExists(cohortId, 2)).toBe(false);

    // The next good run goes past the failed version number and resets the error count.
    await t.pool.query(`UPDATE cohorts SET definition = '{"type":"person","key":"g","operator":"eq","value":"nobody"}' WHERE id = $1`, [cohortId]);
    expect(await refresh(cohortId)).toMatchObject({ status: 'ok', version: 2, memberCount: 0 });
    expect((await t.pool.query('SELECT errors_calculating FROM cohorts WHERE id = $1', [cohortId])).rows[0].errors_calculating).toBe(0);
    // An empty cohort still has a live version (and no set).
    expect(await t.redis.get(t.keys.cohortCurrent(projectId, cohortId))).toBe('2');
    expect(await t.cohorts.stores.membership.isMember(projectId, [cohortId], { personId: 1, distinctIds: [] })).toEqual([false]);
  }, 60_000);

  it('takes a row lease: a second run at the same time is busy; paused cohorts are skipped', async () => {
    const cohortId = await dynamicCohort('leased', { type: 'person', key: 'g', operator: 'eq', value: 'b' });
    const [one, two] = await Promise.all([refresh(cohortId, 'w1'), refresh(cohortId, 'w2')]);
    expect([one.status, two.status].sort()).toEqual(['busy', 'ok']);
    await t.pool.query(`UPDATE cohorts SET state = 'paused' WHERE id = $1`, [cohortId]);
    expect(await refresh(cohortId)).toEqual({ status: 'skipped', reason: 'cohort is paused' });
    expect(await t.cohorts.refreshCohort(projectId, 999_999, { worker: 'w' })).toEqual({ status: 'skipped', reason: 'cohort not found' });
  }, 60_000);

  it('a run whose lease expired cannot switch readers back to an older version', async () => {
    const cohortId = await dynamicCohort('zombie', { type: 'person', key: 'g', operator: 'eq', value: 'b' });
    const store = t.cohorts.stores.membership;
    await store.writeVersion(projectId, cohortId, 5, ['1']);
    expect(await store.switchTo(projectId, cohortId, 5)).toBe(0);
    expect(await store.switchTo(projectId, cohortId, 4)).toBe(-1);
    expect(await store.switchTo(projectId, cohortId, 6)).toBe(5);
    expect(await store.addMembers(projectId, cohortId + 1000, ['1'])).toBeNull(); // no live version: nothing written
    expect(await versionExists(cohortId + 1000, 0)).toBe(false);
  });

  it('goes past a version Redis has but PostgreSQL does not (a run died after its switch)', async () => {
    const cohortId = await dynamicCohort('ahead', { type: 'person', key: 'g', operator: 'eq', value: 'nobody' });
    await t.redis.set(t.keys.cohortCurrent(projectId, cohortId), '7');
    await t.redis.sadd(firstIndex(cohortId, 7), '1');
    expect(await refresh(cohortId)).toMatchObject({ status: 'ok', version: 8, memberCount: 0 });
    expect(await versionExists(cohortId, 7)).toBe(false);
  });

  it('recomputes a few persons in the live version (event-driven)', async () => {
    const cohortId = await dynamicCohort('recompute', { type: 'behavioral', event: 'buy' });
    const { rows } = await t.pool.query<{ id: number }>(`INSERT INTO persons (project_id, bucketing_key) VALUES ($1, 'r1'), ($1, 'r2') RETURNING id`, [projectId]);
    const [r1, r2] = rows.map((r) => r.id);
    await t.pool.query(`INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) VALUES ($1, 'r1', $2), ($1, 'r2', $3)`, [projectId, r1, r2]);
    expect(await refresh(cohortId)).toMatchObject({ status: 'ok', memberCount: 0 });
    await t.pool.query(`INSERT INTO events (project_id, event, distinct_id, time, insert_id) VALUES ($1, 'buy', 'r1', now(), 'i1')`, [projectId]);
    await t.cohorts.recomputePersons(projectId, [r1, r2]);
    expect(await t.cohorts.stores.membership.isMember(projectId, [cohortId], { personId: r1, distinctIds: [] })).toEqual([true]);
    expect(await t.cohorts.stores.membership.isMember(projectId, [cohortId], { personId: r2, distinctIds: [] })).toEqual([false]);
    await t.pool.query(`DELETE FROM events WHERE project_id = $1 AND insert_id = 'i1'`, [projectId]);
    await t.cohorts.recomputePersons(projectId, [r1]);
    expect(await t.cohorts.stores.membership.isMember(projectId, [cohortId], { personId: r1, distinctIds: [] })).toEqual([false]);
  });
});
