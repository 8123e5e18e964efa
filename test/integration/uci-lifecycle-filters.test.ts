import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { importFile } from '../../src/import/import-file.js';
import { lineTotal, uciEventName, uciTimeMs } from '../../src/import/uci-online-retail.js';
import { compileCohort } from '../../src/cohorts/compiler.js';
import { validateCohortDefinition } from '../../src/cohorts/validate-cohort-definition.js';
import type { CohortDefinition } from '../../src/domain/cohort-definition.js';
import { UCI } from '../helpers/uci.js';

/**
 * The lifecycle, sequence, aggregate and calendar-window filters (issue 21) on the UCI Online
 * Retail data (CC BY 4.0, Chen 2015, doi:10.24432/C5BW33): every 6th data row of the whole
 * year (so windows of months have data), plus a few synthetic rows placed exactly on window
 * edges. Each cohort's members are recounted here in plain TypeScript from the raw CSV rows
 * (no SQL), with 20 customers merged into 20 others by alias first (persons with two
 * distinct ids), and compared with what the compiled SQL returns.
 */
const EVERY = 6;
const DAY = 86_400_000;
const NY = 'America/New_York';

let t: TestContext;
let dir: string;
let projectId: number;
/** raw events, each under its canonical customer (the alias target for merged ones) */
let events: Array<{ who: string; event: 'purchase' | 'refund'; time: number; stock: string; total: number; quantity: number }>;
/** distinct_id -> canonical customer */
const canonical = new Map<string, string>();
let now: number;
let edge: number;

beforeAll(async () => {
  t = await createTestContext();
  dir = mkdtempSync(path.join(tmpdir(), 'sb-uci-lifecycle-'));
});
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Wall-clock parts of unix ms `ms` in zone `tz`. */
function wall(ms: number, tz: string) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(ms);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { y: get('year'), mo: get('month') - 1, d: get('day'), h: get('hour'), mi: get('minute'), s: get('second') };
}
/** The instant of wall-clock time (y, mo, d, 00:00) in `tz` (fixed point over the zone's offset). */
function zonedMidnight(y: number, mo: number, d: number, tz: string): number {
  const target = Date.UTC(y, mo, d);
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const w = wall(guess, tz);
    guess += target - Date.UTC(w.y, w.mo, w.d, w.h, w.mi, w.s);
  }
  return guess;
}
const monthStart = (ms: number, tz: string, back = 0) => {
  const w = wall(ms, tz);
  return zonedMidnight(w.y, w.mo - back, 1, tz);
};
/** Local day number (days since 1970-01-01 on the zone's calendar) and ISO week number (Monday first). */
const localDay = (ms: number, tz: string) => {
  const w = wall(ms, tz);
  return Math.round(Date.UTC(w.y, w.mo, w.d) / DAY);
};
const localWeek = (ms: number, tz: string) => Math.floor((localDay(ms, tz) + 3) / 7);

async function members(definition: unknown, timeZone?: string): Promise<Set<string>> {
  const v = validateCohortDefinition(definition);
  expect(v.issues).toEqual([]);
  const q = compileCohort(v.definition as CohortDefinition, { projectId, now, cohortRefs: new Map(), timeZone });
  const { rows } = await t.pool.query<{ person_id: string }>(q.text, q.values);
  const ids = rows.map((r) => Number(r.person_id));
  const { rows: dids } = await t.pool.query<{ person_id: string; distinct_id: string }>(
    'SELECT person_id, distinct_id FROM person_distinct_ids WHERE project_id = $1 AND person_id = ANY($2::bigint[])',
    [projectId, ids],
  );
  const out = new Set<string>();
  for (const d of dids) out.add(canonical.get(d.distinct_id) ?? d.distinct_id);
  expect(out.size).toBe(ids.length); // one canonical customer per person
  return out;
}

/** Persons (canonical customers) whose events satisfy `f` (given that person's events, sorted by time). */
function recount(f: (evs: typeof events) => boolean): Set<string> {
  const by = new Map<string, typeof events>();
  for (const e of events) {
    let list = by.get(e.who);
    if (!list) by.set(e.who, (list = []));
    list.push(e);
  }
  const out = new Set<string>();
  for (const [who, list] of by) if (f(list.sort((a, b) => a.time - b.time))) out.add(who);
  return out;
}
const inRange = (time: number, lo: number, hi: number) => time >= lo && time <= hi;

function expectSame(got: Set<string>, want: Set<string>) {
  expect(want.size, 'the recount must not be empty').toBeGreaterThan(0);
  expect([...got].sort()).toEqual([...want].sort());
}

describe('lifecycle filters on UCI Online Retail', { timeout: 120_000 }, () => {
  it('imports every 6th row, edge rows and 20 aliases', async () => {
    const lines = gunzipSync(readFileSync(UCI)).toString('utf8').split('\n');
    const header = lines[0];
    const sample = lines.slice(1).filter((l, i) => l.trim() && i % EVERY === 0);
    const rows0 = parse([header, ...sample].join('\n'), { columns: true }) as Array<Record<string, string>>;
    // now: 60 days after one purchase, so that purchase sits exactly on the `last: 60d` edge.
    const purchases = rows0.filter((r) => r.CustomerID.trim() && uciEventName(r.InvoiceNo) === 'purchase');
    edge = uciTimeMs(purchases.find((r) => r.InvoiceDate >= '2011-10-05')!.InvoiceDate);
    now = edge + 60 * DAY;
    // Edge rows: on New York's month start (05:00 UTC in December) and one second before it.
    const nyMonth = monthStart(now, NY);
    const fmt = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
    const extra = [
      `900001,EDGE1,EDGE ROW,1,${fmt(nyMonth)},10.00,99001,United Kingdom`,
      `900002,EDGE2,EDGE ROW,1,${fmt(nyMonth - 1000)},10.00,99002,United Kingdom`,
      `900003,EDGE3,EDGE ROW,1,${fmt(edge)},10.00,99003,United Kingdom`,
    ];
    const text = [header, ...sample, ...extra].join('\n') + '\n';
    const file = path.join(dir, 'uci-sample.csv.gz');
    writeFileSync(file, gzipSync(text));
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;

    const p = await t.newProject('uci-lifecycle');
    projectId = p.id;
    const report = await importFile({ ingest: t.ingest, people: t.people, projectId, file, mapping: 'uci-online-retail' });
    expect(report.rejected).toBe(0);

    // Merge 20 customers into 20 others (disjoint pairs): their persons then hold two distinct ids.
    const customers = [...new Set(rows.map((r) => r.CustomerID.trim()).filter(Boolean))].sort();
    for (let i = 0; i < 20; i++) {
      const [target, merged] = [customers[i * 50], customers[i * 50 + 25]];
      const res = await t.aliases.alias(projectId, target, merged);
      expect(res.merged).toBe(true);
      canonical.set(merged, target);
    }
    events = [];
    for (const r of rows) {
      const id = r.CustomerID.trim();
      const event = uciEventName(r.InvoiceNo);
      if (!id || !event) continue;
      const quantity = Number(r.Quantity);
      events.push({ who: canonical.get(id) ?? id, event, time: uciTimeMs(r.InvoiceDate), stock: r.StockCode, total: lineTotal(quantity, Number(r.UnitPrice)), quantity });
    }
  }, 300_000);

  it('first_time: first purchase ever in the last 30 days, and this month in New York vs UTC', async () => {
    const first = (list: typeof events) => list.find((e) => e.event === 'purchase')?.time;
    expectSame(await members({ type: 'first_time', event: 'purchase', window: { last: '30d' } }), recount((l) => inRange(first(l) ?? -1, now - 30 * DAY, now)));
    for (const tz of [NY, 'UTC']) {
      const lo = monthStart(now, tz);
      const hi = monthStart(now, tz, -1);
      const want = recount((l) => (first(l) ?? -1) >= lo && (first(l) ?? -1) < hi);
      const got = await members({ type: 'first_time', event: 'purchase', window: { calendar: 'this_month' } }, tz);
      expectSame(got, want);
      // 99001 bought exactly at New York's month start; 99002 one second before it.
      expect(got.has('99001')).toBe(true);
      expect(got.has('99002')).toBe(tz === 'UTC');
    }
  });

  it('stopped: bought in the last 365 days but not in the last 60 (the edge purchase counts as recent)', async () => {
    const def = { type: 'stopped', event: 'purchase', baseline: { last: '365d' }, recent: { last: '60d' } };
    const want = recount((l) => {
      const p = l.filter((e) => e.event === 'purchase');
      return p.some((e) => inRange(e.time, now - 365 * DAY, now)) && !p.some((e) => inRange(e.time, now - 60 * DAY, now));
    });
    const got = await members(def);
    expectSame(got, want);
    expect(got.has('99003')).toBe(false);
  });

  it('restarted: bought in H1 2011, not in the summer, again in the last 2 months (calendar months back, UTC)', async () => {
    const def = {
      type: 'restarted',
      event: 'purchase',
      baseline: { from: '2011-01-01', to: '2011-05-31T23:59:59Z' },
      gap: { from: '2011-06-01', to: '2011-08-31T23:59:59Z' },
      recent: { last: '2m' },
    };
    const twoMonthsBack = (() => {
      const d = new Date(now);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 2, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
    })();
    const want = recount((l) => {
      const p = l.filter((e) => e.event === 'purchase');
      return (
        p.some((e) => inRange(e.time, Date.UTC(2011, 0, 1), Date.UTC(2011, 4, 31, 23, 59, 59))) &&
        !p.some((e) => inRange(e.time, Date.UTC(2011, 5, 1), Date.UTC(2011, 7, 31, 23, 59, 59))) &&
        p.some((e) => inRange(e.time, twoMonthsBack, now))
      );
    });
    expectSame(await members(def), want);
  });

  it('regularly: purchases in at least 4 of the last 8 weeks (New York weeks) and 5 of the last 30 days (UTC)', async () => {
    const weekNow = localWeek(now, NY);
    const w = wall(now, NY);
    const weekStart = zonedMidnight(w.y, w.mo, w.d - ((localDay(now, NY) + 3) % 7) - 7 * 7, NY);
    const wantWeeks = recount((l) => new Set(l.filter((e) => e.event === 'purchase' && e.time >= weekStart && e.time <= now).map((e) => localWeek(e.time, NY))).size >= 4);
    expect(weekNow - localWeek(weekStart, NY)).toBe(7);
    expectSame(await members({ type: 'regularly', event: 'purchase', period: 'week', periods: 8, min_periods: 4 }, NY), wantWeeks);

    const dayStart = Math.floor(now / DAY) * DAY - 29 * DAY;
    const wantDays = recount((l) => new Set(l.filter((e) => e.event === 'purchase' && e.time >= dayStart && e.time <= now).map((e) => Math.floor(e.time / DAY))).size >= 5);
    expectSame(await members({ type: 'regularly', event: 'purchase', period: 'day', periods: 30, min_periods: 5 }), wantDays);
  });

  it('sequence: a purchase then a refund within 7 days, and the heart holder then any purchase within 1 day', async () => {
    const seq = (l: typeof events, a: (e: (typeof events)[number]) => boolean, b: (e: (typeof events)[number]) => boolean, ms: number) =>
      l.some((x) => a(x) && l.some((y) => b(y) && y.time > x.time && y.time <= x.time + ms));
    expectSame(
      await members({ type: 'sequence', steps: [{ event: 'purchase' }, { event: 'refund' }], within: '7d' }),
      recount((l) => seq(l, (e) => e.event === 'purchase', (e) => e.event === 'refund', 7 * DAY)),
    );
    expectSame(
      await members({
        type: 'sequence',
        steps: [{ event: 'purchase', where: [{ key: 'stock_code', operator: 'eq', value: '85123A' }] }, { event: 'purchase' }],
        within: '1d',
        window: { from: '2011-06-01' },
      }),
      recount((l) => seq(l, (e) => e.event === 'purchase' && e.stock === '85123A' && e.time >= Date.UTC(2011, 5, 1), (e) => e.event === 'purchase', DAY)),
    );
  });

  it('aggregate: total line_total >= 500 in the last 90 days, average quantity > 20, max line_total < 5 (all time)', async () => {
    const cents = (v: number) => Math.round(v * 100);
    expectSame(
      await members({ type: 'aggregate', event: 'purchase', property: 'line_total', fn: 'sum', op: 'gte', value: 500, window: { last: '90d' } }),
      recount((l) => {
        const p = l.filter((e) => e.event === 'purchase' && inRange(e.time, now - 90 * DAY, now));
        return p.length > 0 && p.reduce((s, e) => s + cents(e.total), 0) >= 50_000;
      }),
    );
    expectSame(
      await members({ type: 'aggregate', event: 'purchase', property: 'quantity', fn: 'avg', op: 'gt', value: 20 }),
      recount((l) => {
        const p = l.filter((e) => e.event === 'purchase');
        return p.length > 0 && p.reduce((s, e) => s + e.quantity, 0) > 20 * p.length;
      }),
    );
    expectSame(
      await members({ type: 'aggregate', event: 'purchase', property: 'line_total', fn: 'max', op: 'lt', value: 5 }),
      recount((l) => {
        const p = l.filter((e) => e.event === 'purchase');
        return p.length > 0 && Math.max(...p.map((e) => cents(e.total))) < 500;
      }),
    );
  });

  it('calendar windows on behavioral filters: purchased last month (New York), negated lifecycle filter', async () => {
    const lo = monthStart(now, NY, 1);
    const hi = monthStart(now, NY);
    const lastMonth = recount((l) => l.some((e) => e.event === 'purchase' && e.time >= lo && e.time < hi));
    const got = await members({ type: 'behavioral', event: 'purchase', window: { calendar: 'last_month' } }, NY);
    expectSame(got, lastMonth);
    expect(got.has('99002')).toBe(true); // one second before New York's month start
    // negate: persons (with any event) who did NOT stop buying
    const stopped = await members({ type: 'stopped', event: 'purchase', baseline: { last: '365d' }, recent: { last: '60d' } });
    const notStopped = await members({ type: 'AND', values: [{ type: 'behavioral', event: '*' }, { type: 'stopped', event: 'purchase', baseline: { last: '365d' }, recent: { last: '60d' }, negate: true }] });
    const everyone = recount(() => true);
    expect(notStopped.size + stopped.size).toBe(everyone.size);
    for (const id of stopped) expect(notStopped.has(id)).toBe(false);
  });

  it('the project time zone setting drives calendar windows when the compiler is not given one', async () => {
    const bad = await t.http.patch(`/v1/projects/${projectId}`).set(t.admin).send({ time_zone: 'Mars/Olympus_Mons' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('time_zone');
    const ok = await t.http.patch(`/v1/projects/${projectId}`).set(t.admin).send({ time_zone: NY });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.time_zone).toBe(NY);
    const fromProject = await members({ type: 'first_time', event: 'purchase', window: { calendar: 'this_month' } });
    expectSame(fromProject, await members({ type: 'first_time', event: 'purchase', window: { calendar: 'this_month' } }, NY));
    expect(fromProject.has('99002')).toBe(false);
    expect((await t.http.patch(`/v1/projects/${projectId}`).set(t.admin).send({ time_zone: 'UTC' })).body.time_zone).toBe('UTC');
  });
});
