/**
 * `rules plan --impact` on real data: a slice of the UCI Online Retail log (CC BY 4.0, Chen
 * 2015, doi:10.24432/C5BW33; every row of the customers whose id ends in 7) imported as the
 * demo imports it, rules/demo applied and its cohorts materialized. Two edits of a copy of
 * rules/demo are planned with impact, and each count is checked against a recount made
 * straight from the persons and events tables in SQL (no core, no Redis):
 * - checkout-layout: recent refunders outside Germany move from classic to compact;
 * - free-shipping: the German threshold goes from 60 to 70.
 */
import { createReadStream, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createGunzip, gzipSync } from 'node:zlib';
import { parse } from 'csv-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { UCI } from '../helpers/uci.js';
import { rulesDeps } from '../../src/cli/rules.js';
import { importDemoData } from '../../src/cli/demo-import.js';
import { planRules } from '../../src/as-code/plan.js';
import { applyPlan, cohortOrder } from '../../src/as-code/apply.js';
import { impactLines, planImpact } from '../../src/as-code/impact.js';

let t: TestContext;
let dir: string;

async function writeSlice(to: string): Promise<number> {
  const kept: string[] = [];
  const parser = createReadStream(UCI).pipe(createGunzip()).pipe(parse({ raw: true, columns: true }));
  for await (const { record, raw } of parser as AsyncIterable<{ record: Record<string, string>; raw: string }>) {
    if (record.CustomerID.endsWith('7')) kept.push(raw.replace(/\r?\n$/, ''));
  }
  writeFileSync(to, gzipSync(`InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n${kept.join('\n')}\n`));
  return kept.length;
}

type Doc = { rules: Array<{ serve: { variant?: string; value?: { threshold: number } } }> };
const editJson = (file: string, fn: (doc: Doc) => void) => {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Doc;
  fn(doc);
  writeFileSync(file, JSON.stringify(doc, null, 2));
};

beforeAll(async () => {
  t = await createTestContext();
  dir = mkdtempSync(path.join(tmpdir(), 'sb-impact-'));
}, 60_000);
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('rules plan --impact on the UCI data', () => {
  it('counts exactly the persons an independent SQL recount finds', async () => {
    const slice = path.join(dir, 'slice.csv.gz');
    expect(await writeSlice(slice)).toBeGreaterThan(10_000);
    const p = await t.newProject('impact');
    const now = Date.now();
    await importDemoData(t, p.id, slice, now);
    const deps = rulesDeps(t);
    const base = await planRules(deps, 'rules/demo', p.id);
    await applyPlan(deps, base);
    for (const change of cohortOrder(base.changes)) {
      const cohort = await t.cohortService.get(p.id, change.key);
      expect((await t.cohorts.refreshCohort(p.id, cohort.id, { worker: 'test', now })).status).toBe('ok');
    }

    const edited = path.join(dir, 'rules');
    cpSync('rules/demo', edited, { recursive: true });
    editJson(path.join(edited, 'flags/checkout-layout.json'), (d) => {
      d.rules[0].serve = { variant: 'compact' };
    });
    editJson(path.join(edited, 'configs/free-shipping.json'), (d) => {
      d.rules[0].serve.value!.threshold = 70;
    });
    const plan = await planRules(deps, edited, p.id);
    expect(plan.set.issues).toEqual([]);
    const report = await planImpact(plan, { definitions: t.definitions, cohorts: t.cohortService, source: t.impactSource }, { now, sample: 5 });

    // The recount: persons and events only.
    const q = async (sql: string) => (await t.pool.query<{ id: string; key: string }>(sql, [p.id, new Date(now - 90 * 86_400_000)])).rows;
    const everyone = await q('SELECT id::text, bucketing_key AS key FROM persons WHERE project_id = $1 AND $2::timestamptz IS NOT NULL');
    const germans = await q("SELECT id::text, bucketing_key AS key FROM persons WHERE project_id = $1 AND properties->>'country' = 'Germany' AND $2::timestamptz IS NOT NULL");
    const refunders = await q(`
      SELECT DISTINCT p.id::text, p.bucketing_key AS key
      FROM persons p
      JOIN person_distinct_ids d ON d.project_id = p.project_id AND d.person_id = p.id
      JOIN events e ON e.project_id = p.project_id AND e.distinct_id = d.distinct_id
      WHERE p.project_id = $1 AND e.event = 'refund' AND e.time >= $2
        AND p.properties->>'country' IS DISTINCT FROM 'Germany'`);
    expect(germans.length).toBeGreaterThan(0);
    expect(refunders.length).toBeGreaterThan(0);

    expect(report.persons).toBe(everyone.length);
    const layout = report.definitions.find((d) => d.key === 'checkout-layout')!;
    const shipping = report.definitions.find((d) => d.key === 'free-shipping')!;
    expect(layout).toMatchObject({ kind: 'flag', action: 'update', persons: everyone.length, changed: refunders.length });
    expect(shipping).toMatchObject({ kind: 'config', action: 'update', persons: everyone.length, changed: germans.length });
    const refunderKeys = new Set(refunders.map((r) => r.key));
    for (const s of layout.sample) {
      expect(refunderKeys.has(s.distinct_id)).toBe(true);
      expect(s).toMatchObject({ before: 'classic', after: 'compact' });
    }
    const germanKeys = new Set(germans.map((r) => r.key));
    for (const s of shipping.sample) {
      expect(germanKeys.has(s.distinct_id)).toBe(true);
      expect(s).toMatchObject({ before: { currency: 'EUR', threshold: 60 }, after: { currency: 'EUR', threshold: 70 } });
    }
    expect(shipping.sample).toHaveLength(Math.min(5, germans.length));
    expect(impactLines(report)).toContain(`  flag checkout-layout (update): ${refunders.length} of ${everyone.length} persons change (${((100 * refunders.length) / everyone.length).toFixed(1)} %)`);
    console.log(impactLines(report).join('\n'));
  }, 600_000); // imports ~30,000 events and materializes six cohorts: ~35 s on a quiet machine, minutes under load
});
