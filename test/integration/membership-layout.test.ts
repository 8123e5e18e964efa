/**
 * The chunked membership layout's every case (membership-lua.ts), read both ways the code
 * reads it: the store's `membership` script and the handshake's script. Intset chunk, bitmap
 * chunk, a chunk without members, the `:d` set of unseen static ids, event-driven adds that
 * create a chunk or turn an intset into a bitmap, removals, versions written before the chunk
 * kind keys existed, and drops that leave no kind key behind. On a private
 * redis-server, the commands one handshake runs are counted (INFO commandstats).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, waitForRedis, type RedisClient } from '../../src/adapters/redis/client.js';
import { createHandshakeReader } from '../../src/adapters/redis/handshake-reader.js';
import { createKeys, type Keys } from '../../src/adapters/redis/keys.js';
import { CHUNK_IDS, INTSET_MAX } from '../../src/adapters/redis/membership-lua.js';
import { createMembershipStore } from '../../src/adapters/redis/membership-store.js';
import type { HandshakeReader } from '../../src/ports/handshake-reader.js';
import type { MembershipStore } from '../../src/ports/membership-store.js';
import { testRedisUrl } from '../helpers/databases.js';
import { startRedisProcess } from '../helpers/redis-process.js';

const P = 7;
const C = CHUNK_IDS;

interface World {
  redis: RedisClient;
  keys: Keys;
  store: MembershipStore;
  reader: HandshakeReader;
}

function world(redis: RedisClient, shards = 1): World {
  const keys = createKeys(`ml${randomBytes(4).toString('hex')}:`, shards);
  return { redis, keys, store: createMembershipStore({ redis, bulk: redis, keys }), reader: createHandshakeReader({ redis, keys, timeoutMs: 5_000 }) };
}

async function cleanup(w: World): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await (w.redis as Redis).scan(cursor, 'MATCH', w.keys.allPattern(), 'COUNT', 1000);
    cursor = next;
    if (found.length) await w.redis.del(...found);
  } while (cursor !== '0');
}

/** The person's membership read both ways; they must agree. */
async function both(w: World, cohortIds: number[], personId: number | null, distinctIds: string[] = []): Promise<boolean[]> {
  const viaStore = (await w.store.membership(P, cohortIds, { personId, distinctIds })).map((a) => a.member);
  // The handshake reader resolves the person from identity: map a distinct id to it first.
  const did = distinctIds[0] ?? `probe-${personId}`;
  if (personId !== null) await w.redis.set(w.keys.distinctId(P, did), String(personId));
  const read = await w.reader.read(P, did, distinctIds[1] ?? null, cohortIds, []);
  if (personId !== null) await w.redis.del(w.keys.distinctId(P, did));
  expect(read.members, `handshake vs store for person ${personId}`).toEqual(viaStore);
  return viaStore;
}

/** A version's `:k` (whether it has a `:d` set; null: no kind keys) in the home slot. */
const versionKind = (w: World, cohortId: number, version: number) => w.redis.get(`${w.keys.cohortMembers(P, cohortId, version)}:k`);
/** A chunk's kind key (in its shard's slot). */
const kindOf = (w: World, cohortId: number, version: number, chunk: number) => w.redis.get(`${w.keys.shardMembersBase(P, cohortId, w.keys.shardOfChunk(chunk))}${version}:k${chunk}`);
/** The kinds of chunks 0..9 of a version and its `:k`, e.g. ['k=0', '0=s', '1=b']. */
async function kinds(w: World, cohortId: number, version: number): Promise<string[]> {
  const out: string[] = [];
  const k = await versionKind(w, cohortId, version);
  if (k !== null) out.push(`k=${k}`);
  for (let c = 0; c < 10; c++) {
    const kind = await kindOf(w, cohortId, version, c);
    if (kind !== null) out.push(`${c}=${kind}`);
  }
  return out;
}
/** A chunk's key (in its shard's slot). */
const chunkKey = (w: World, cohortId: number, version: number, chunk: number, kind: 's' | 'b') => `${w.keys.shardMembersBase(P, cohortId, w.keys.shardOfChunk(chunk))}${version}:${kind}${chunk}`;

describe.each([1, 4])('membership layout, every case, %i shard(s)', (shards) => {
  let w: World;
  beforeAll(async () => {
    const redis = createRedis({ url: testRedisUrl(), commandTimeoutMs: 5_000 });
    await waitForRedis(redis, 5_000);
    w = world(redis, shards);
  });
  afterAll(async () => {
    await cleanup(w);
    w.redis.disconnect();
  });

  it('intset chunk, bitmap chunk, chunk without members, no chunk at all', async () => {
    // chunk 0: 3 members (intset); chunk 1: INTSET_MAX + 1 members (bitmap); chunk 2: none; chunk 3: 1 member.
    const bitmapIds = Array.from({ length: INTSET_MAX + 1 }, (_, i) => C + 2 * i);
    const members = ['0', '5', String(C - 1), ...bitmapIds.map(String), String(3 * C + 7)];
    await w.store.writeVersion(P, 1, 1, members);
    await w.store.switchTo(P, 1, 1);
    expect(await w.redis.type(chunkKey(w, 1, 1, 0, 's'))).toBe('set');
    expect(await w.redis.type(chunkKey(w, 1, 1, 1, 'b'))).toBe('string');
    expect(await kinds(w, 1, 1)).toEqual(['k=0', '0=s', '1=b', '3=s']);
    const cases: Array<[number, boolean]> = [
      [0, true], [5, true], [C - 1, true], [1, false], [C - 2, false],
      [C, true], [C + 2 * INTSET_MAX, true], [C + 1, false], [2 * C - 1, false],
      [2 * C + 5, false], [3 * C + 7, true], [3 * C + 8, false], [1_000 * C, false],
    ];
    for (const [id, expected] of cases) expect(await both(w, [1], id), `person ${id}`).toEqual([expected]);
  });

  it('the :d set: unseen static ids, with or without a person, and a version without one', async () => {
    await w.store.writeVersion(P, 2, 1, ['d:anon-1', '10', 'd:anon-2']);
    await w.store.switchTo(P, 2, 1);
    expect(await versionKind(w, 2, 1)).toBe('1');
    expect(await both(w, [2], null, ['anon-1'])).toEqual([true]);
    expect(await both(w, [2], null, ['x', 'anon-2'])).toEqual([true]);
    expect(await both(w, [2], 99, ['anon-1'])).toEqual([true]); // a person whose id is still listed as unseen
    expect(await both(w, [2], 10, ['other'])).toEqual([true]);
    expect(await both(w, [2], 11, ['other'])).toEqual([false]);
    expect(await both(w, [2], null, ['other'])).toEqual([false]);
    // A dynamic-like version (no `:d`): its flag says so, the distinct ids are not looked up.
    await w.store.writeVersion(P, 3, 1, ['10']);
    await w.store.switchTo(P, 3, 1);
    expect(await versionKind(w, 3, 1)).toBe('0');
    expect(await both(w, [3, 2], null, ['anon-1'])).toEqual([false, true]);
    // An empty version: live, no key (not even `:k`), no member; event-driven adds still count.
    await w.store.writeVersion(P, 4, 1, []);
    await w.store.switchTo(P, 4, 1);
    expect(await kinds(w, 4, 1)).toEqual([]);
    expect(await both(w, [4, 3, 2], 10, ['anon-1'])).toEqual([false, true, true]);
    await w.store.addMembers(P, 4, ['12', 'd:anon-4']);
    expect(await both(w, [4], 12)).toEqual([true]);
    expect(await both(w, [4], null, ['anon-4'])).toEqual([true]);
    expect(await both(w, [4], 13, ['x'])).toEqual([false]);
  });

  it('event-driven adds create chunks, turn an intset into a bitmap, add :d ids; removes', async () => {
    await w.store.writeVersion(P, 5, 1, ['0']);
    await w.store.switchTo(P, 5, 1);
    expect(await both(w, [5], 2 * C + 1)).toEqual([false]);
    expect(await w.store.addMembers(P, 5, [String(2 * C + 1)])).toEqual({ version: 1, changed: 1 });
    expect(await kindOf(w, 5, 1, 2)).toBe('s');
    expect(await both(w, [5], 2 * C + 1)).toEqual([true]);
    // Past INTSET_MAX members the chunk becomes a bitmap, and its kind key says so.
    const many = Array.from({ length: INTSET_MAX + 5 }, (_, i) => String(2 * C + 100 + i));
    await w.store.addMembers(P, 5, many);
    expect(await kindOf(w, 5, 1, 2)).toBe('b');
    expect(await w.redis.exists(chunkKey(w, 5, 1, 2, 's'))).toBe(0);
    expect(await both(w, [5], 2 * C + 1)).toEqual([true]);
    expect(await both(w, [5], 2 * C + 100 + INTSET_MAX)).toEqual([true]);
    expect(await both(w, [5], 2 * C + 2)).toEqual([false]);
    await w.store.removeMembers(P, 5, [String(2 * C + 1)]);
    expect(await both(w, [5], 2 * C + 1)).toEqual([false]);
    // An intset emptied by removals, then refilled.
    await w.store.addMembers(P, 5, ['3']);
    await w.store.removeMembers(P, 5, ['3']);
    expect(await both(w, [5], 3)).toEqual([false]);
    await w.store.addMembers(P, 5, ['4']);
    expect(await both(w, [5], 4)).toEqual([true]);
    // A `:d` id added to a version that had none.
    expect(await both(w, [5], null, ['late'])).toEqual([false]);
    await w.store.addMembers(P, 5, ['d:late']);
    expect(await versionKind(w, 5, 1)).toBe('1');
    expect(await both(w, [5], null, ['late'])).toEqual([true]);
  });

  it.skipIf(shards > 1)('reads a version written before kind keys existed, and leaves it without', async () => {
    // The previous release's layout: index, chunks and `:d`, no kind key.
    const index = w.keys.cohortMembers(P, 6, 1);
    await w.redis.sadd(index, '0', '1');
    await w.redis.sadd(`${index}:s0`, '5');
    const bits = Buffer.alloc(CHUNK_IDS / 8);
    bits[0] = 0x80; // offset 0 of chunk 1
    await w.redis.set(`${index}:b1`, bits);
    await w.redis.sadd(`${index}:d`, 'old-anon');
    await w.store.switchTo(P, 6, 1);
    expect(await both(w, [6], 5)).toEqual([true]);
    expect(await both(w, [6], C)).toEqual([true]);
    expect(await both(w, [6], 6)).toEqual([false]);
    expect(await both(w, [6], null, ['old-anon'])).toEqual([true]);
    await w.store.addMembers(P, 6, [String(5 * C), 'd:old-2']);
    expect(await both(w, [6], 5 * C)).toEqual([true]);
    expect(await both(w, [6], null, ['old-2'])).toEqual([true]);
    expect(await kinds(w, 6, 1)).toEqual([]);
  });

  it('follows a distinct id moved to another person (an alias) on the very next read', async () => {
    await w.store.writeVersion(P, 9, 1, ['1', String(2 * C + 3)]);
    await w.store.switchTo(P, 9, 1);
    const did = w.keys.distinctId(P, 'mover');
    const read = async () => (await w.reader.read(P, 'mover', null, [9], [])).members;
    await w.redis.set(did, '1');
    expect(await read()).toEqual([true]);
    expect(await read()).toEqual([true]); // remembered: the shard read goes out with identity's
    await w.redis.set(did, String(C + 3)); // another person, in another chunk (and shard)
    expect(await read()).toEqual([false]);
    await w.redis.set(did, String(2 * C + 3));
    expect(await read()).toEqual([true]);
    await w.redis.del(did);
    expect(await read()).toEqual([false]);
  });

  it('a rewritten and a dropped version leave no kind key behind', async () => {
    await w.store.writeVersion(P, 8, 1, ['1', String(4 * C), 'd:z']);
    await w.store.writeVersion(P, 8, 1, ['2']); // a leftover of the same version is replaced
    expect(await kinds(w, 8, 1)).toEqual(['k=0', '0=s']);
    await w.store.switchTo(P, 8, 1);
    expect(await both(w, [8], 1, ['z'])).toEqual([false]);
    expect(await both(w, [8], 2)).toEqual([true]);
    await w.store.writeVersion(P, 8, 2, ['3']);
    await w.store.switchTo(P, 8, 2);
    await w.store.dropVersion(P, 8, 1);
    expect(await kinds(w, 8, 1)).toEqual([]);
    expect(await kinds(w, 8, 2)).toEqual(['k=0', '0=s']);
    await w.store.dropAll(P, 8, 1, 2);
    expect(await kinds(w, 8, 2)).toEqual([]);
    expect(await both(w, [8], 3)).toEqual([false]);
  });
});

describe('commands per handshake (private redis-server)', () => {
  let server: Awaited<ReturnType<typeof startRedisProcess>>;
  let w: World;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisProcess();
    const redis = createRedis({ url: server.url, commandTimeoutMs: 5_000 });
    await waitForRedis(redis, 5_000);
    admin = new Redis(server.url);
    w = world(redis);
  });
  afterAll(async () => {
    w?.redis.disconnect();
    admin?.disconnect();
    await server?.stop();
  });

  async function counted(fn: () => Promise<unknown>): Promise<Record<string, number>> {
    await admin.config('RESETSTAT');
    await fn();
    const out: Record<string, number> = {};
    for (const m of (await admin.info('commandstats')).matchAll(/cmdstat_(\w+):calls=(\d+)/g)) out[m[1]] = Number(m[2]);
    delete out.config;
    delete out.info;
    return out;
  }

  it('one read per cohort for a non-member, none where the person has no chunk, :d only for static versions', async () => {
    // 20 dynamic cohorts (intset and bitmap chunks) and 2 static ones with `:d`.
    const ids = Array.from({ length: 22 }, (_, i) => 100 + i);
    for (const [i, id] of ids.entries()) {
      const dense = i % 2 === 0 ? Array.from({ length: 600 }, (_, j) => String(j * 3)) : ['1', '2', '3'];
      await w.store.writeVersion(P, id, 1, i >= 20 ? [...dense, 'd:pinned'] : dense);
      await w.store.switchTo(P, id, 1);
    }
    await w.redis.set(w.keys.distinctId(P, 'someone'), '4'); // chunk 0, in no cohort
    await w.reader.read(P, 'someone', null, ids, []); // loads the script (EVAL once)
    const stats = await counted(() => w.reader.read(P, 'someone', null, ids, []));
    expect(stats).toMatchObject({ evalsha: 1, mget: 2, smismember: 2 });
    expect((stats.sismember ?? 0) + (stats.getbit ?? 0)).toBe(22);
    // A person past every chunk: no chunk read at all.
    await w.redis.set(w.keys.distinctId(P, 'far'), String(50 * C));
    const far = await counted(() => w.reader.read(P, 'far', null, ids, []));
    expect((far.sismember ?? 0) + (far.getbit ?? 0)).toBe(0);
    expect(far.smismember).toBe(2);
    // The same versions read as the previous release read them (no kind keys): SISMEMBER, then
    // GETBIT on the miss, then SMISMEMBER, for every cohort.
    for (const id of ids) await w.redis.del(`${w.keys.cohortMembers(P, id, 1)}:k`);
    const before = await counted(() => w.reader.read(P, 'someone', null, ids, []));
    expect(before).toMatchObject({ sismember: 22, getbit: 22, smismember: 22 });
  });

  it('sharded: one script in the home slot, one in the person\'s shard', async () => {
    const s4 = world(w.redis, 4);
    const ids = [200, 201];
    await s4.store.writeVersion(P, 200, 1, ['4', String(C + 4), 'd:pinned']);
    await s4.store.writeVersion(P, 201, 1, [String(C + 5)]);
    for (const id of ids) await s4.store.switchTo(P, id, 1);
    await s4.redis.set(s4.keys.distinctId(P, 'someone'), String(C + 4));
    expect((await s4.reader.read(P, 'someone', null, ids, [])).members).toEqual([true, false]);
    const stats = await counted(() => s4.reader.read(P, 'someone', null, ids, []));
    expect(stats).toMatchObject({ evalsha: 2, mget: 4, smismember: 1 });
    expect((stats.sismember ?? 0) + (stats.getbit ?? 0)).toBe(2);
    // An unknown person: the home script only.
    const unknown = await counted(() => s4.reader.read(P, 'nobody', null, ids, []));
    expect(unknown.evalsha).toBe(1);
  });
});
