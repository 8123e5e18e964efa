/**
 * Seeds the benchmark world into its own database and Redis prefix: a project (through the
 * composition's services), 10,000 persons (SQL + the Redis identity map), 20 materialized
 * cohorts (SQL + versioned Redis sets in the documented layout) and 65 definitions (through
 * the definitions service, so they are validated and compiled like any admin change).
 */
import { createMembershipStore } from '../src/adapters/redis/membership-store.js';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.js';
import { composeAll as compose } from '../src/composition.js';
import { migrate } from '../src/adapters/postgres/migrate.js';
import { createRedis, waitForRedis, type RedisClient } from '../src/adapters/redis/client.js';
import { createKeys } from '../src/adapters/redis/keys.js';
import { cohortKey, cohortMembers, configs, flags, persons, surveys } from './fixtures.js';

export interface BenchEnv {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
}

export interface Seeded {
  projectId: number;
  token: string;
  distinctIds: string[];
  counts: { persons: number; cohorts: number; memberships: number; flags: number; configs: number; surveys: number };
}

/** Deletes every key under `prefix` with SCAN (never FLUSHALL: the server is shared). */
export async function deletePrefix(redis: RedisClient, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Drops the bench database (if any) and creates it again, migrated. */
export async function resetDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/bench/.test(name)) throw new Error(`refusing to drop ${name}: the bench database name must contain "bench"`);
  await dropDatabase(databaseUrl);
  await migrate(databaseUrl);
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export function benchConfig(env: BenchEnv): Config {
  return loadConfig({ DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, REDIS_PREFIX: env.prefix, LOG_LEVEL: 'warn', RUN_WORKER: 'false' });
}

/** Seeds everything; the database must be fresh (see resetDatabase) and the prefix empty. */
export async function seed(env: BenchEnv): Promise<Seeded> {
  const c = compose(benchConfig(env));
  const redis = createRedis({ url: env.redisUrl, commandTimeoutMs: 30_000 });
  await waitForRedis(redis, 3_000);
  await waitForRedis(c.redis, 3_000);
  const keys = createKeys(env.prefix);
  const membership = createMembershipStore({ redis, bulk: redis, keys });
  try {
    const project = await c.projects.create({ keyId: 0, actor: 'bench', projectIds: null }, { name: 'bench', tier: 'pro' });
    const p = project.id;

    // Persons and their distinct ids, in PostgreSQL.
    const people = persons();
    const { rows } = await c.pool.query<{ id: string; bucketing_key: string }>(
      `INSERT INTO persons (project_id, bucketing_key, properties, first_seen, last_seen, event_count)
       SELECT $1, b, props::jsonb, now() - interval '30 days', now(), 10 FROM unnest($2::text[], $3::text[]) AS t(b, props)
       RETURNING id, bucketing_key`,
      [p, people.map((x) => x.distinctId), people.map((x) => JSON.stringify(x.properties))],
    );
    const idOf = new Map(rows.map((r) => [r.bucketing_key, Number(r.id)]));
    const personIds = people.map((x) => idOf.get(x.distinctId)!);
    await c.pool.query(
      `INSERT INTO person_distinct_ids (project_id, distinct_id, person_id) SELECT $1, d, pid FROM unnest($2::text[], $3::bigint[]) AS t(d, pid)`,
      [p, people.map((x) => x.distinctId), personIds],
    );

    // The identity map in Redis, in the identity cache's document layout.
    let pipe = redis.pipeline();
    people.forEach((x, i) => {
      const id = personIds[i];
      pipe.set(keys.distinctId(p, x.distinctId), String(id));
      pipe.set(keys.person(p, id), `{"u":1,"id":${id},"b":${JSON.stringify(x.distinctId)},"p":${JSON.stringify(x.properties)},"i":false,"s":{"a":[],"l":null}}`);
    });
    pipe.set(keys.identityReady(p), '1');
    await pipe.exec();

    // Cohorts: active rows at version 1 and their materialized sets of person ids.
    const members = cohortMembers(people.length);
    pipe = redis.pipeline();
    let memberships = 0;
    for (let j = 0; j < members.length; j++) {
      const { rows: [row] } = await c.pool.query<{ id: string }>(
        `INSERT INTO cohorts (project_id, key, name, kind, definition, state, version, member_count, last_calculated_at)
         VALUES ($1, $2, $3, 'static', NULL, 'active', 1, $4, now()) RETURNING id`,
        [p, cohortKey(j), `Synthetic cohort ${j}`, members[j].length],
      );
      const id = Number(row.id);
      const ids = members[j].map((i) => personIds[i]).sort((x, y) => x - y).map(String);
      // The membership store's layout (chunked intsets/bitmaps, membership-lua.ts).
      await membership.writeVersion(p, id, 1, ids);
      pipe.set(keys.cohortCurrent(p, id), '1');
      memberships += ids.length;
    }
    await pipe.exec();

    // Definitions through the service: validated and compiled like any admin change.
    const f = flags();
    const cf = configs();
    const sv = surveys();
    for (const d of f) await c.definitions.create('flag', p, 'bench', d);
    for (const d of cf) await c.definitions.create('config', p, 'bench', d);
    for (const d of sv) await c.definitions.create('survey', p, 'bench', d);

    return {
      projectId: p,
      token: project.token,
      distinctIds: people.map((x) => x.distinctId),
      counts: { persons: people.length, cohorts: members.length, memberships, flags: f.length, configs: cf.length, surveys: sv.length },
    };
  } finally {
    redis.disconnect();
    await c.close();
  }
}
