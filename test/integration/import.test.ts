import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { importFile } from '../../src/import/import-file.js';
import { mapUciRow, uciTimeMs } from '../../src/import/uci-online-retail.js';
import { UCI } from '../helpers/uci.js';

const ROWS = 5_000;

let t: TestContext;
let dir: string;
let slice: string;
beforeAll(async () => {
  t = await createTestContext();
  dir = mkdtempSync(path.join(tmpdir(), 'sb-import-'));
  // the header and the first 5,000 data rows of the real file (no field spans lines)
  const lines = gunzipSync(readFileSync(UCI)).toString('utf8').split('\n');
  slice = path.join(dir, 'uci-5000.csv.gz');
  writeFileSync(slice, gzipSync(lines.slice(0, ROWS + 1).join('\n') + '\n'));
});
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Expected results, counted straight from the raw rows (not through the importer). */
function expected() {
  const rows = parse(gunzipSync(readFileSync(slice)), { columns: true }) as Array<Record<string, string>>;
  expect(rows).toHaveLength(ROWS);
  const withCustomer = rows.filter((r) => r.CustomerID !== '');
  const perCustomer = new Map<string, { count: number; country: string; first: number; last: number }>();
  for (const r of withCustomer) {
    const ms = uciTimeMs(r.InvoiceDate);
    const c = perCustomer.get(r.CustomerID) ?? { count: 0, country: '', first: Infinity, last: -Infinity };
    perCustomer.set(r.CustomerID, { count: c.count + 1, country: r.Country, first: Math.min(c.first, ms), last: Math.max(c.last, ms) });
  }
  return {
    events: withCustomer.length,
    purchases: withCustomer.filter((r) => /^\d/.test(r.InvoiceNo)).length,
    refunds: withCustomer.filter((r) => r.InvoiceNo.startsWith('C')).length,
    skipped: rows.length - withCustomer.length,
    perCustomer,
  };
}

describe('bulk import', () => {
  it('maps UCI row 1 exactly as SOURCE.md shows', () => {
    const rec = mapUciRow({ InvoiceNo: '536365', StockCode: '85123A', Description: 'WHITE HANGING HEART T-LIGHT HOLDER', Quantity: '6', InvoiceDate: '2010-12-01 08:26:00', UnitPrice: '2.55', CustomerID: '17850', Country: 'United Kingdom' }, 1);
    expect(rec?.event).toEqual({
      event: 'purchase', distinct_id: '17850', time: 1291191960000, $insert_id: 'uci:1',
      properties: { invoice_no: '536365', stock_code: '85123A', description: 'WHITE HANGING HEART T-LIGHT HOLDER', quantity: 6, unit_price: 2.55, line_total: 15.3, country: 'United Kingdom' },
    });
    expect(uciTimeMs('2011-12-09 12:50:00')).toBe(1323435000000);
    expect(mapUciRow({ InvoiceNo: 'C536379', StockCode: 'D', Description: 'Discount', Quantity: '-1', InvoiceDate: '2010-12-01 09:41:00', UnitPrice: '27.5', CustomerID: '14527', Country: 'United Kingdom' }, 2)?.event?.event).toBe('refund');
    expect(mapUciRow({ InvoiceNo: '536414', StockCode: '22139', Description: '', Quantity: '56', InvoiceDate: '2010-12-01 11:52:00', UnitPrice: '0', CustomerID: '', Country: 'United Kingdom' }, 3)).toBeNull();
  });

  it('imports the first 5,000 UCI rows: events, persons, stats and latest-wins country', async () => {
    const p = await t.newProject('uci');
    const want = expected();
    const progress: number[] = [];
    const report = await importFile({ ingest: t.ingest, people: t.people, projectId: p.id, file: slice, mapping: 'uci-online-retail', onProgress: (x) => progress.push(x.rows) });
    expect(report).toMatchObject({ rows: ROWS, skipped: want.skipped, stored: want.events, deduplicated: 0, rejected: 0, errors: [] });
    expect(progress.length).toBeGreaterThan(1);

    const q = async (sql: string) => (await t.pool.query(sql, [p.id])).rows;
    const byName = await q('SELECT event, count(*)::int AS n FROM events WHERE project_id = $1 GROUP BY event ORDER BY event');
    expect(byName).toEqual([{ event: 'purchase', n: want.purchases }, { event: 'refund', n: want.refunds }]);
    const persons = await q(`SELECT d.distinct_id, p.event_count, p.first_seen, p.last_seen, p.properties->>'country' AS country, p.bucketing_key
                               FROM persons p JOIN person_distinct_ids d ON d.person_id = p.id WHERE p.project_id = $1`);
    expect(persons).toHaveLength(want.perCustomer.size);
    for (const r of persons) {
      const c = want.perCustomer.get(r.distinct_id)!;
      expect({ count: Number(r.event_count), country: r.country, first: r.first_seen.getTime(), last: r.last_seen.getTime(), key: r.bucketing_key })
        .toEqual({ count: c.count, country: c.country, first: c.first, last: c.last, key: r.distinct_id });
    }
    // identity map is written through: the decision path finds a customer in Redis
    const [some] = want.perCustomer.keys();
    const who = await t.identity.resolve(p.id, some);
    expect(who).toMatchObject({ bucketingKey: some, properties: { country: want.perCustomer.get(some)!.country } });

    // re-importing deduplicates every event ($insert_id = uci:<row>)
    const again = await importFile({ ingest: t.ingest, people: t.people, projectId: p.id, file: slice, mapping: 'uci-online-retail' });
    expect(again).toMatchObject({ stored: 0, deduplicated: want.events, rejected: 0 });
  });

  it('shifts times so the newest event is now', async () => {
    const p = await t.newProject('uci-shift');
    const now = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    const report = await importFile({ ingest: t.ingest, people: t.people, projectId: p.id, file: slice, mapping: 'uci-online-retail', shiftToNow: true, now: () => now });
    const { rows } = await t.pool.query('SELECT (extract(epoch FROM max(time)) * 1000)::bigint AS newest FROM events WHERE project_id = $1', [p.id]);
    expect(rows[0].newest).toBe(now);
    expect(report).toMatchObject({ rejected: 0 });
    expect(report.shiftMs).toBeGreaterThan(0);
  });

  it('imports default CSV and NDJSON files and reports bad rows with their numbers', async () => {
    const p = await t.newProject('files');
    const csv = path.join(dir, 'events.csv');
    writeFileSync(csv, [
      'event,distinct_id,time,$insert_id,properties.plan,$set.email',
      'signup,ann,1700000000000,c-1,pro,ann@example.com',
      'signup,null,1700000000000,c-2,free,',
      'login,ann,2024-01-01T00:00:00Z,c-3,,',
    ].join('\n'));
    const a = await importFile({ ingest: t.ingest, people: t.people, projectId: p.id, file: csv });
    expect(a).toMatchObject({ rows: 3, stored: 2, rejected: 1, personUpdates: { applied: 1, rejected: 0 } });
    expect(a.errors).toEqual([{ row: 2, field: 'distinct_id', message: expect.stringMatching(/placeholder/) }]);

    const nd = path.join(dir, 'events.ndjson');
    writeFileSync(nd, [
      JSON.stringify({ event: 'view', distinct_id: 'bob', $insert_id: 'n-1', properties: { page: '/' }, $set: { plan: 'team' } }),
      '{"event": "broken"',
      JSON.stringify({ event: 'view', distinct_id: 'bob', $insert_id: 'n-1' }),
    ].join('\n'));
    const b = await importFile({ ingest: t.ingest, people: t.people, projectId: p.id, file: nd });
    expect(b).toMatchObject({ rows: 3, stored: 1, deduplicated: 1, rejected: 1 });
    expect(b.errors[0]).toMatchObject({ row: 2, field: '(line)' });
    const ann = await t.personRead.profile(p.id, 'ann');
    expect(ann.person.properties).toEqual({ email: 'ann@example.com' });
    expect((await t.personRead.profile(p.id, 'bob')).person.properties).toEqual({ plan: 'team' });
  });
});
