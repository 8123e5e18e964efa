/**
 * Redis bytes per cohort membership and the cost of a membership read (docs/cohorts.md).
 * Writes member versions through the real MembershipStore (chunked intsets/bitmaps,
 * membership-lua.ts) under a throw-away prefix, reads their exact bytes (the store's
 * `bytes`: MEMORY USAGE SAMPLES 0 of every key of the version), times `isMember` over 20
 * cohorts, then deletes everything it wrote.
 *
 *   npx tsx bench/cohort-memory.ts                      # REDIS_URL or redis://127.0.0.1:6379/0
 *   REDIS_URL=redis://127.0.0.1:6390 npx tsx bench/cohort-memory.ts
 */
import { randomBytes } from 'node:crypto';
import { createRedis, waitForRedis } from '../src/adapters/redis/client.js';
import { createKeys } from '../src/adapters/redis/keys.js';
import { createMembershipStore } from '../src/adapters/redis/membership-store.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const redis = createRedis({ url });
await waitForRedis(redis, 3_000);
const keys = createKeys(`bench${randomBytes(4).toString('hex')}:`);
const store = createMembershipStore({ redis, bulk: redis, keys });
const P = 1;

const [, intsetMax] = (await redis.config('GET', 'set-max-intset-entries')) as [string, string];
console.log(`redis ${url}, set-max-intset-entries=${intsetMax}`);
console.log('| members | kind of member | bytes | bytes / member | write ms |');
console.log('|---:|---|---:|---:|---:|');

async function measure(cohortId: number, members: string[], label: string) {
  const ms = await store.writeVersion(P, cohortId, 1, members);
  await store.switchTo(P, cohortId, 1);
  const bytes = await store.bytes(P, cohortId, 1);
  console.log(`| ${members.length.toLocaleString('en')} | ${label} | ${bytes.toLocaleString('en')} | ${(bytes / members.length).toFixed(1)} | ${ms.toFixed(0)} |`);
}

const personIds = (n: number, from = 1_000_000) => Array.from({ length: n }, (_, i) => String(from + i));
let cohort = 1;
for (const n of [500, 10_000, 100_000, 1_000_000]) await measure(cohort++, personIds(n), 'person id (int32 range)');
for (const every of [10, 40, 200]) {
  const sparse = Array.from({ length: 20_000 }, (_, i) => String(1_000_000 + i * every));
  await measure(cohort++, sparse, `person id, one in ${every} ids`);
}
await measure(cohort++, personIds(100_000, 3_000_000_000), 'person id (> 2^31)');
await measure(cohort++, Array.from({ length: 100_000 }, (_, i) => `d:user-${i}@example.com`), '`d:<distinct_id>` (24 chars)');

// One membership read over 20 cohorts of 100,000 members: the handshake's shape.
const ids: number[] = [];
for (let i = 0; i < 20; i++) {
  const id = 100 + i;
  await store.writeVersion(P, id, 1, personIds(100_000));
  await store.switchTo(P, id, 1);
  ids.push(id);
}
const rounds = 5_000;
const times: number[] = [];
for (let i = 0; i < rounds; i++) {
  const t0 = performance.now();
  await store.isMember(P, ids, { personId: 1_000_000 + ((i * 7919) % 200_000), distinctIds: ['anon-1', 'user@example.com'] });
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.floor(p * (times.length - 1))].toFixed(3);
console.log(`\nisMember, 20 cohorts x 100,000 members, person id + 2 distinct ids, ${rounds} sequential calls: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms (one EVALSHA each)`);

let cursor = '0';
do {
  const [next, found] = await redis.scan(cursor, 'MATCH', keys.allPattern(), 'COUNT', 1000);
  cursor = next;
  if (found.length) await redis.unlink(...found);
} while (cursor !== '0');
redis.disconnect();
