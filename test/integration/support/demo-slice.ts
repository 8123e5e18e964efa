/**
 * A deterministic slice of the UCI Online Retail log (CC BY 4.0, Chen 2015,
 * doi:10.24432/C5BW33) and each demo cohort's size counted straight from its rows, for the
 * demo tests (test/integration/demo.test.ts in-process, test/e2e/embedded-start.test.ts
 * through `npm start` and `npm run demo`).
 */
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { createGunzip, gzipSync } from 'node:zlib';
import { parse } from 'csv-parse';
import { UCI } from '../../helpers/uci.js';

const DAY = 86_400_000;

export type Row = Record<string, string>;

/** Reads the real file and keeps, verbatim, the header and every row of the customers whose id ends in `suffix`. */
export async function writeSlice(to: string, suffix: string): Promise<Row[]> {
  const kept: string[] = [];
  const parsed: Row[] = [];
  const parser = createReadStream(UCI).pipe(createGunzip()).pipe(parse({ raw: true, columns: true }));
  for await (const { record, raw } of parser as AsyncIterable<{ record: Row; raw: string }>) {
    if (!record.CustomerID.endsWith(suffix)) continue;
    kept.push(raw.replace(/\r?\n$/, ''));
    parsed.push(record);
  }
  const header = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
  writeFileSync(to, gzipSync(`${header}\n${kept.join('\n')}\n`));
  return parsed;
}

/** Each demo cohort's size, counted from raw rows: InvoiceDate read as UTC, windows ending at the newest row. */
export function expectedSizes(data: Row[]): Record<string, number> {
  const time = (r: Row) => Date.parse(`${r.InvoiceDate.replace(' ', 'T')}Z`);
  const newest = Math.max(...data.map(time));
  const isPurchase = (r: Row) => /^[0-9]/.test(r.InvoiceNo);
  const isRefund = (r: Row) => r.InvoiceNo.startsWith('C');
  const country = new Map<string, string>();
  const purchases30 = new Map<string, number>();
  const refunded90 = new Set<string>();
  const purchasedEver = new Set<string>();
  const purchased90 = new Set<string>();
  const purchased365 = new Set<string>();
  const purchased60 = new Set<string>();
  const heart = new Set<string>();
  for (const r of data) {
    const id = r.CustomerID;
    const age = newest - time(r);
    country.set(id, r.Country); // file order: the last row wins
    if (isPurchase(r)) {
      purchasedEver.add(id);
      if (age <= 30 * DAY) purchases30.set(id, (purchases30.get(id) ?? 0) + 1);
      if (age <= 90 * DAY) purchased90.add(id);
      if (age <= 365 * DAY) purchased365.add(id);
      if (age <= 60 * DAY) purchased60.add(id);
      if (r.StockCode === '85123A') heart.add(id);
    }
    if (isRefund(r) && age <= 90 * DAY) refunded90.add(id);
  }
  const pins = readFileSync('rules/demo/cohorts/support-pins.csv', 'utf8').trim().split('\n').slice(1);
  return {
    germany: [...country.values()].filter((c) => c === 'Germany').length,
    'frequent-buyers-30d': [...purchases30.values()].filter((n) => n >= 5).length,
    'refunders-90d-outside-germany': [...refunded90].filter((id) => country.get(id) !== 'Germany').length,
    'heart-holder-buyers': heart.size,
    'lapsed-customers': [...purchasedEver].filter((id) => !purchased90.has(id)).length,
    'support-pins': new Set(pins.map((p) => p.trim())).size,
    'stopped-buying-60d': [...purchased365].filter((id) => !purchased60.has(id)).length,
  };
}

