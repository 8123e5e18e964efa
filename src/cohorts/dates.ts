/**
 * Dates and durations in cohort definitions. Pure: `now` is always passed in (unix ms).
 * Accepted dates: unix ms (number), ISO 8601 (`2024-05-01`, `2024-05-01T10:00:00Z`; no zone
 * means UTC), or relative to now: `-30d`, `-12h`, `-2w`. Durations: `30d`, `12h`, `2w`.
 */

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const RELATIVE_RE = /^-(\d{1,6})([hdw])$/;
const DURATION_RE = /^(\d{1,6})([hdw])$/;
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
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]];
  const ms = isoToMs(v);
  if (ms === null) throw new Error(`not a date: ${v}`);
  return ms;
}

/** Whether `v` is a duration like `30d`, `12h` or `2w` (at least 1 unit). */
export function isDuration(v: unknown): v is string {
  return typeof v === 'string' && DURATION_RE.test(v) && Number(DURATION_RE.exec(v)![1]) > 0;
}

/** A duration in ms. Throws Error on a malformed duration (validation runs first). */
export function durationMs(v: string): number {
  const m = DURATION_RE.exec(v);
  if (!m) throw new Error(`not a duration: ${v}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** Whether a date input depends on `now` (relative), so it cannot be compared at save time. */
export const isRelativeDate = (v: string | number): boolean => typeof v === 'string' && RELATIVE_RE.test(v);
