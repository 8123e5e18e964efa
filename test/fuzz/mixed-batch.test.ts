/**
 * Nothing valid in a mixed batch is lost (PRODUCT.md 4.1, 4.2; issue 14): batches of events
 * and of People API updates mixing valid items with invalid ones store every valid item and
 * only those, counted in PostgreSQL, and report each invalid one by index. Seeded
 * (FUZZ_SEED); the failing batch is printed by fast-check with its seed and path.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { createHttpClient, type HttpClient } from '../helpers/http-client.js';
import { listen, type RunningServer } from '../helpers/http-server.js';

let t: TestContext;
let server: RunningServer;
let client: HttpClient;
let p: { id: number; token: string };
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 14_003;
let run = 0;

beforeAll(async () => {
  t = await createTestContext({ RATE_LIMIT_PER_S: '1000000000', ADMIN_RATE_LIMIT_PER_S: '1000000000' });
  server = await listen(t.app);
  client = createHttpClient(server.url, { maxSockets: 2 });
  p = await t.newProject('mixed');
});
afterAll(async () => {
  client.close();
  await server.close();
  await t.cleanup();
});

type Item = { valid: true; make: (id: string) => unknown } | { valid: false; why: string; make: (id: string) => unknown };
const invalid = (why: string, make: (id: string) => unknown): Item => ({ valid: false, why, make });

/** Safe property values (storable JSON). */
const safeValue = fc.oneof(fc.integer(), fc.string({ maxLength: 20 }).filter((s) => !s.includes('\u0000')), fc.boolean(), fc.constant(null));

const validEvent = (id: string, extra: Record<string, unknown> = {}) => ({ event: 'mixed', distinct_id: `d-${id}`, $insert_id: id, time: Date.now() - 1_000, properties: { run: id.split(':')[0], ...extra } });

const eventItem: fc.Arbitrary<Item> = fc.oneof(
  { arbitrary: fc.dictionary(fc.constantFrom('a', 'b', 'plan', 'n'), safeValue, { maxKeys: 3 }).map((extra): Item => ({ valid: true, make: (id) => validEvent(id, extra) })), weight: 3 },
  {
    arbitrary: fc.constantFrom<Item>(
      invalid('not an object', () => null),
      invalid('not an object', () => 'event'),
      invalid('not an object', () => [1]),
      invalid('unknown field', (id) => ({ ...validEvent(id), extra: 1 })),
      invalid('empty event', (id) => ({ ...validEvent(id), event: '' })),
      invalid('blank event', (id) => ({ ...validEvent(id), event: '   ' })),
      invalid('long event', (id) => ({ ...validEvent(id), event: 'e'.repeat(201) })),
      invalid('NUL in event', (id) => ({ ...validEvent(id), event: 'a\u0000b' })),
      invalid('placeholder distinct_id', (id) => ({ ...validEvent(id), distinct_id: 'undefined' })),
      invalid('placeholder distinct_id', (id) => ({ ...validEvent(id), distinct_id: '[object Object]' })),
      invalid('blank distinct_id', (id) => ({ ...validEvent(id), distinct_id: '  ' })),
      invalid('NUL in distinct_id', (id) => ({ ...validEvent(id), distinct_id: 'x\u0000' })),
      invalid('lone surrogate in distinct_id', (id) => ({ ...validEvent(id), distinct_id: 'x\uD800' })),
      invalid('numeric distinct_id', (id) => ({ ...validEvent(id), distinct_id: 42 })),
      invalid('time in seconds', (id) => ({ ...validEvent(id), time: 1_700_000_000 })),
      invalid('time past a day ahead', (id) => ({ ...validEvent(id), time: Date.now() + 3 * 86_400_000 })),
      invalid('time 1e23', (id) => ({ ...validEvent(id), time: 1e23 })),
      invalid('time text', (id) => ({ ...validEvent(id), time: 'yesterday' })),
      invalid('properties array', (id) => ({ ...validEvent(id), properties: [] })),
      invalid('NUL in a property', (id) => ({ ...validEvent(id), properties: { run: id.split(':')[0], v: 'a\u0000' } })),
      invalid('NUL in a property key', (id) => ({ ...validEvent(id), properties: { run: id.split(':')[0], 'k\u0000': 1 } })),
      invalid('properties over 64 KB', (id) => ({ ...validEvent(id), properties: { run: id.split(':')[0], v: 'x'.repeat(66_000) } })),
      invalid('NUL in $insert_id', (id) => ({ ...validEvent(id), $insert_id: `${id}\u0000` })),
      invalid('long $insert_id', (id) => ({ ...validEvent(id), $insert_id: `${id}${'i'.repeat(201)}` })),
    ),
    weight: 2,
  },
);

const validUpdate = (id: string, extra: Record<string, unknown> = {}) => ({ distinct_id: `e-${id}`, $set: { mixed_run: id.split(':')[0], ...extra } });

const updateItem: fc.Arbitrary<Item> = fc.oneof(
  { arbitrary: fc.dictionary(fc.constantFrom('a', 'plan', 'n'), safeValue, { maxKeys: 3 }).map((extra): Item => ({ valid: true, make: (id) => validUpdate(id, extra) })), weight: 3 },
  {
    arbitrary: fc.constantFrom<Item>(
      invalid('not an object', () => null),
      invalid('not an object', () => 7),
      invalid('no operation', (id) => ({ distinct_id: `e-${id}` })),
      invalid('unknown operation', (id) => ({ ...validUpdate(id), $explode: {} })),
      invalid('placeholder distinct_id', (id) => ({ ...validUpdate(id), distinct_id: 'null' })),
      invalid('empty distinct_id', (id) => ({ ...validUpdate(id), distinct_id: '' })),
      invalid('NUL in distinct_id', (id) => ({ ...validUpdate(id), distinct_id: `e-${id}\u0000` })),
      invalid('$set not an object', (id) => ({ ...validUpdate(id), $set: ['mixed_run'] })),
      invalid('$add of text', (id) => ({ ...validUpdate(id), $add: { n: 'one' } })),
      invalid('$unset not a list', (id) => ({ ...validUpdate(id), $unset: 'a' })),
      invalid('$delete with another operation', (id) => ({ ...validUpdate(id), $delete: true })),
      invalid('NUL in a property', (id) => ({ ...validUpdate(id), $set: { mixed_run: id.split(':')[0], v: 'a\u0000' } })),
      invalid('lone surrogate in a property key', (id) => ({ ...validUpdate(id), $set: { mixed_run: id.split(':')[0], 'k\uDC00': 1 } })),
    ),
    weight: 2,
  },
);

const batch = (item: fc.Arbitrary<Item>) => fc.array(item, { minLength: 1, maxLength: 40 }).filter((items) => items.some((i) => i.valid) && items.some((i) => !i.valid));

async function post(path: string, body: unknown) {
  const a = await client.json('POST', path, body, { Authorization: `Bearer ${p.token}` });
  if (!a.ok) throw new Error(`${path}: connection failed: ${a.error}`);
  return a as { status: number; json: any };
}

describe('mixed batches', () => {
  it('store every valid event and only those, reporting each invalid one by index', async () => {
    await fc.assert(
      fc.asyncProperty(batch(eventItem), async (items) => {
        const r = `ev${run++}`;
        const events = items.map((it, i) => it.make(`${r}:${i}`));
        const res = await post('/v1/events', { events });
        const valid = items.flatMap((it, i) => (it.valid ? [`${r}:${i}`] : []));
        const invalidAt = items.flatMap((it, i) => (it.valid ? [] : [i]));
        expect(res.status, JSON.stringify(res.json)).toBe(200);
        expect(res.json).toMatchObject({ stored: valid.length, rejected: invalidAt.length });
        expect(res.json.errors.map((e: { index: number }) => e.index)).toEqual(invalidAt);
        const { rows } = await t.pool.query<{ insert_id: string }>('SELECT insert_id FROM events WHERE project_id = $1 AND insert_id LIKE $2 ORDER BY id', [p.id, `${r}:%`]);
        expect(rows.map((x) => x.insert_id).sort()).toEqual([...valid].sort());
      }),
      { seed, numRuns: 25, endOnFailure: true },
    );
  }, 120_000);

  it('apply every valid People API update and only those, reporting each invalid one by index', async () => {
    await fc.assert(
      fc.asyncProperty(batch(updateItem), async (items) => {
        const r = `en${run++}`;
        const updates = items.map((it, i) => it.make(`${r}:${i}`));
        const res = await post('/v1/engage', { updates });
        const valid = items.flatMap((it, i) => (it.valid ? [`e-${r}:${i}`] : []));
        const invalidAt = items.flatMap((it, i) => (it.valid ? [] : [i]));
        expect(res.status, JSON.stringify(res.json)).toBe(200);
        expect(res.json).toMatchObject({ applied: valid.length, rejected: invalidAt.length });
        expect(res.json.errors.map((e: { index: number }) => e.index)).toEqual(invalidAt);
        const { rows } = await t.pool.query<{ distinct_id: string }>(
          `SELECT d.distinct_id FROM persons p JOIN person_distinct_ids d ON d.person_id = p.id
            WHERE p.project_id = $1 AND p.properties->>'mixed_run' = $2`,
          [p.id, r],
        );
        expect(rows.map((x) => x.distinct_id).sort()).toEqual([...valid].sort());
      }),
      { seed, numRuns: 25, endOnFailure: true },
    );
  }, 120_000);
});
