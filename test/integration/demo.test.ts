import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { rulesDeps } from '../../src/cli/rules.js';
import { importDemoData } from '../../src/cli/demo-import.js';
import { planRules } from '../../src/as-code/plan.js';
import { applyPlan, cohortOrder } from '../../src/as-code/apply.js';
import { expectedSizes, writeSlice, type Row } from './support/demo-slice.js';

/**
 * The demo on real data, end to end but fast: a deterministic slice of the UCI Online Retail
 * log (CC BY 4.0, Chen 2015, doi:10.24432/C5BW33): every row of the customers whose id ends
 * in 3 (34,816 rows, 440 customers). It goes through the demo's import (shift so the newest
 * event is `now`), rules/demo through the rules module, and the refresher's refreshCohort at
 * that same `now`; each cohort's size must equal a count made here straight from the CSV rows.
 */
const DAY = 86_400_000;

let t: TestContext;
let dir: string;
let slice: string;
let rows: Row[];
/** the project and `now` of the first test, re-run by the second */
let first: { id: number; now: number };

beforeAll(async () => {
  t = await createTestContext();
  dir = mkdtempSync(path.join(tmpdir(), 'sb-demo-'));
  slice = path.join(dir, 'uci-slice.csv.gz');
  rows = await writeSlice(slice, '3');
}, 120_000);
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('the demo on a slice of the real data', () => {
  it('materializes every demo cohort with the size computed from the raw CSV rows', async () => {
    expect(rows).toHaveLength(34_816);
    const expected = expectedSizes(rows);
    expect(expected.germany).toBe(10); // the slice holds a few of every cohort
    for (const n of Object.values(expected)) expect(n).toBeGreaterThan(0);

    const p = await t.newProject('demo');
    const now = Date.now(); // events may not lie in the future (ingest refuses > 24 h ahead)
    first = { id: p.id, now };
    const imported = await importDemoData(t, p.id, slice, now);
    expect(imported).toMatchObject({ reused: false, rows: 34_816, stored: 34_816, rejected: 0, events: 34_816 });
    expect(imported.newestRawMs + imported.shiftMs).toBe(now);

    const deps = rulesDeps(t);
    const plan = await planRules(deps, 'rules/demo', p.id);
    expect(plan.set.issues).toEqual([]);
    await applyPlan(deps, plan);

    const sizes: Record<string, number> = {};
    for (const change of cohortOrder(plan.changes)) {
      const cohort = await t.cohorts.service.get(p.id, change.key);
      const outcome = await t.cohorts.refreshCohort(p.id, cohort.id, { worker: 'test', now });
      expect(outcome.status, JSON.stringify(outcome)).toBe('ok');
      sizes[change.key] = outcome.status === 'ok' ? outcome.memberCount : -1;
      expect((await t.cohorts.service.get(p.id, change.key)).state).toBe('active');
    }
    expect(sizes).toEqual(expected);

    // A handshake reads the result: a German customer of the slice gets the EUR threshold.
    const german = rows.filter((r) => r.Country === 'Germany').at(-1)!.CustomerID;
    let config: { value?: unknown; rule_id?: string } = {};
    for (let i = 0; i < 40 && config.rule_id !== 'germany-eur'; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      const res = await t.http.post('/v1/decide').set(p.bearer).send({ distinct_id: german });
      config = res.body.configs?.['free-shipping'] ?? {};
    }
    expect(config).toMatchObject({ value: { currency: 'EUR', threshold: 60 }, rule_id: 'germany-eur' });
  }, 120_000); // imports 34,816 events and materializes six cohorts: ~20 s on a quiet machine

  it('is idempotent: the second run imports nothing and applies no change', async () => {
    const p = first;
    const again = await importDemoData(t, p.id, slice, p.now + DAY);
    expect(again).toMatchObject({ reused: true, shiftMs: p.now - again.newestRawMs, stored: 34_816 });
    const plan = await planRules(rulesDeps(t), 'rules/demo', p.id);
    expect(plan.changes.every((c) => c.action === 'unchanged')).toBe(true);
    const { rows: n } = await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE project_id = $1', [p.id]);
    expect(n[0].n).toBe(34_816);
  });

  it('resumes an interrupted import with the shift of its first run', async () => {
    const p = await t.newProject('demo-resume');
    // An "interrupted" first run: only the first 2,000 rows made it, and no completion mark.
    const lines = gunzipSync(readFileSync(slice)).toString('utf8').split('\n');
    const prefix = path.join(dir, 'prefix.csv.gz');
    writeFileSync(prefix, gzipSync(`${lines.slice(0, 2_001).join('\n')}\n`));
    // The first run had scanned the whole file: its shift put the slice's newest row 5 days ago.
    const time = (r: Row) => Date.parse(`${r.InvoiceDate.replace(' ', 'T')}Z`);
    const newest = (data: Row[]) => Math.max(...data.map(time));
    const shift = Date.now() - 5 * DAY - newest(rows);
    const firstRun = await importDemoData(t, p.id, prefix, newest(rows.slice(0, 2_000)) + shift);
    expect(firstRun.shiftMs).toBe(shift);
    await t.pool.query("DELETE FROM audit_log WHERE project_id = $1 AND entity_kind = 'import'", [p.id]);

    const resumed = await importDemoData(t, p.id, slice, Date.now());
    expect(resumed).toMatchObject({ reused: false, shiftMs: shift, rejected: 0, deduplicated: 2_000, stored: 34_816 - 2_000 });
  });
});
