/**
 * Dates and durations in cohort definitions. Pure: `now` is always passed in (unix ms).
 * Accepted dates: unix ms (number), ISO 8601 (`2024-05-01`, `2024-05-01T10:00:00Z`; no zone
 * means UTC), or relative to now: `-30d`, `-12h`, `-2w`, `-3m` (calendar months), `-1y` (years).
 * Durations: `30d`, `12h`, `2w`, `3m`, `1y`. Hours, days and weeks are fixed lengths (ms);
 * months and years are calendar arithmetic: in UTC here, in the project's time zone inside
 * compiled windows (src/cohorts/filters/window.ts), 31 March minus 1 month being 28/29 February.
 */

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const RELATIVE_RE = /^-(\d{1,6})([hdwmy])$/;
const DURATION_RE = /^(\d{1,6})([hdwmy])$/;

/** A duration or relative date split in amount and unit (`h d w`: fixed; `m y`: calendar). */
export interface DurationParts {
  amount: number;
  unit: 'h' | 'd' | 'w' | 'm' | 'y';
}

/** `30d` -> { 30, d }; `-3m` -> { 3, m }; null when neither a duration nor a relative date. */
export function durationParts(v: string): DurationParts | null {
  const m = DURATION_RE.exec(v) ?? RELATIVE_RE.exec(v);
  return m ? { amount: Number(m[1]), unit: m[2] as DurationParts['unit'] } : null;
}

/** Whether a unit is calendar arithmetic (months, years) rather than a fixed number of ms. */
export const isCalendarUnit = (unit: string): boolean => unit === 'm' || unit === 'y';

/** `ms` minus `months` calendar months in UTC, the day clamped to the target month's last day. */
export function minusMonthsUtc(ms: number, months: number): number {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() - months;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Largest unix ms JS and PostgreSQL both represent comfortably (year ~ 275760 in JS). */
const MAX_MS = 8.64e15;

/** Parses an absolute ISO date to unix ms; null if malformed or not a real calendar date. */
function isoToMs(s: string): number | null {
  const m = ISO_RE.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec, frac ? Math.floor(+`0.${frac}` * 1000) : 0);
  const check = new Date(ms);
  // Date.UTC rolls 2023-02-31 over to March; a real date round-trips.
  if (check.getUTCFullYear() !== +y || check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d) return null;
  if (+h > 23 || +mi > 59 || +sec > 59) return null;
  if (!zone || zone === 'Z') return ms;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = +digits.slice(0, 2) * 60 + (digits.length > 2 ? +digits.slice(2) : 0);
  return ms - sign * offsetMin * 60_000;
}

/** Whether `v` is a date this language accepts (absolute or relative). */
export function isDateInput(v: unknown): v is string | number {
  if (typeof v === 'number') return Number.isFinite(v) && Math.abs(v) <= MAX_MS;
  if (typeof v !== 'string') return false;
  return RELATIVE_RE.test(v) || isoToMs(v) !== null;
}

/**
 * Resolves a date input to unix ms against `now` (ms).
 * Throws Error on input that `isDateInput` refuses (validation runs first).
 */
export function resolveDate(v: string | number, now: number): number {
  if (typeof v === 'number') return v;
  const rel = RELATIVE_RE.exec(v);
  if (rel) {
    if (rel[2] === 'm') return minusMonthsUtc(now, Number(rel[1]));
    if (rel[2] === 'y') return minusMonthsUtc(now, 12 * Number(rel[1]));
    return now - Number(rel[1]) * UNIT_MS[rel[2]];
  }
  const ms = isoToMs(v);
  if (ms === null) throw new Error(`not a date: ${v}`);
  return ms;
}

/** Whether `v` is a duration like `30d`, `12h`, `2w`, `3m` or `1y` (at least 1 unit). */
export function isDuration(v: unknown): v is string {
  return typeof v === 'string' && DURATION_RE.test(v) && Number(DURATION_RE.exec(v)![1]) > 0;
}

/** Whether `v` is a duration of fixed length: hours, days or weeks (`12h`, `30d`, `2w`). */
export const isFixedDuration = (v: unknown): v is string => isDuration(v) && !isCalendarUnit(v.slice(-1));

/** A fixed duration (h, d, w) in ms. Throws Error on anything else (validation runs first). */
export function durationMs(v: string): number {
  const m = DURATION_RE.exec(v);
  if (!m || isCalendarUnit(m[2])) throw new Error(`not a fixed duration: ${v}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** Whether a date input depends on `now` (relative), so it cannot be compared at save time. */
export const isRelativeDate = (v: string | number): boolean => typeof v === 'string' && RELATIVE_RE.test(v);
