/**
 * Event windows (domain/cohort-definition.ts `EventWindow`) as SQL bounds on an event time
 * column. Hours, days and weeks are fixed lengths computed here (bound as timestamps);
 * months, years and calendar periods are computed by PostgreSQL on wall-clock time in the
 * project's time zone (`ts AT TIME ZONE tz`), so "this month" starts at local midnight of
 * the 1st and "3m" back from 31 May is 28/29 February at the same local time, across DST
 * changes. Calendar periods are [start, end): start inclusive, end exclusive; `last` and
 * `from`/`to` keep both ends inclusive (as they always have).
 */
import type { EventWindow } from '../../domain/cohort-definition.js';
import { durationMs, durationParts, isCalendarUnit, isRelativeDate, resolveDate } from '../dates.js';
import { localNowSql, type FilterContext } from './context.js';

/** A window's bounds as SQL timestamptz expressions (absent: unbounded on that side). */
export interface WindowBounds {
  lower?: string;
  upper?: string;
  /** `<=` (inclusive) or `<` (exclusive, calendar periods) */
  upperOp: '<=' | '<';
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Calendar periods: the date_trunc unit and how many of them back the period starts. */
const CALENDAR: Record<NonNullable<EventWindow['calendar']>, { unit: 'day' | 'week' | 'month' | 'quarter' | 'year'; back: number }> = {
  today: { unit: 'day', back: 0 },
  yesterday: { unit: 'day', back: 1 },
  this_week: { unit: 'week', back: 0 },
  last_week: { unit: 'week', back: 1 },
  this_month: { unit: 'month', back: 0 },
  last_month: { unit: 'month', back: 1 },
  this_quarter: { unit: 'quarter', back: 0 },
  last_quarter: { unit: 'quarter', back: 1 },
  this_year: { unit: 'year', back: 0 },
  last_year: { unit: 'year', back: 1 },
};

const INTERVAL_UNIT = { day: 'days', week: 'weeks', month: 'months', quarter: 'months', year: 'years' } as const;

/** `make_interval(...)` of `n` units (quarters as 3 months); `n` is bound. */
export function intervalSql(f: FilterContext, unit: keyof typeof INTERVAL_UNIT, n: number): string {
  return `make_interval(${INTERVAL_UNIT[unit]} => ${f.params.add(unit === 'quarter' ? 3 * n : n)}::integer)`;
}

/** A wall-clock (timestamp without time zone) expression in the project's zone, back to timestamptz. */
export const fromLocal = (f: FilterContext, local: string): string => `((${local}) AT TIME ZONE ${f.timeZone()})`;

/** now minus `amount` months (unit m) or years (unit y), on wall-clock time in the project's zone. */
function calendarBack(f: FilterContext, amount: number, unit: 'm' | 'y'): string {
  return fromLocal(f, `${localNowSql(f)} - ${intervalSql(f, unit === 'm' ? 'month' : 'year', amount)}`);
}

/** One `from`/`to` end: an absolute date, a relative one of fixed length, or months / years back. */
function endSql(f: FilterContext, v: string | number): string {
  if (isRelativeDate(v)) {
    const parts = durationParts(v as string)!;
    if (isCalendarUnit(parts.unit)) return calendarBack(f, parts.amount, parts.unit as 'm' | 'y');
  }
  return `${f.params.add(iso(resolveDate(v, f.now)))}::timestamptz`;
}

/** The bounds of a validated window. */
export function windowBounds(w: EventWindow, f: FilterContext): WindowBounds {
  if (w.calendar !== undefined) {
    const { unit, back } = CALENDAR[w.calendar];
    const start = `date_trunc('${unit}', ${localNowSql(f)})`;
    const lower = back === 0 ? start : `${start} - ${intervalSql(f, unit, back)}`;
    const upper = back === 0 ? `${start} + ${intervalSql(f, unit, 1)}` : start;
    return { lower: fromLocal(f, lower), upper: fromLocal(f, upper), upperOp: '<' };
  }
  if (w.last !== undefined) {
    const parts = durationParts(w.last)!;
    const lower = isCalendarUnit(parts.unit) ? calendarBack(f, parts.amount, parts.unit as 'm' | 'y') : `${f.params.add(iso(f.now - durationMs(w.last)))}::timestamptz`;
    return { lower, upper: `${f.params.add(iso(f.now))}::timestamptz`, upperOp: '<=' };
  }
  return {
    lower: w.from === undefined ? undefined : endSql(f, w.from),
    upper: w.to === undefined ? undefined : endSql(f, w.to),
    upperOp: '<=',
  };
}

/** The window as conditions on `col` (e.g. `e.time`), to AND together; [] for an unbounded window. */
export function windowConditions(w: EventWindow | undefined, col: string, f: FilterContext): string[] {
  if (!w) return [];
  const b = windowBounds(w, f);
  const out: string[] = [];
  if (b.lower) out.push(`${col} >= ${b.lower}`);
  if (b.upper) out.push(`${col} ${b.upperOp} ${b.upper}`);
  return out;
}

/** The window as one boolean expression on `col` (`true` when unbounded). */
export function windowPredicate(w: EventWindow | undefined, col: string, f: FilterContext): string {
  const conds = windowConditions(w, col, f);
  return conds.length ? `(${conds.join(' AND ')})` : 'true';
}
