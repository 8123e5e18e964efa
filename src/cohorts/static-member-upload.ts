/**
 * Static-cohort uploads: a JSON list or a CSV file with a `distinct_id` column, turned into
 * unique valid ids plus a list of invalid rows (by CSV line or JSON index). Pure; the
 * caller decides what an invalid row means (the whole upload is refused).
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { MAX_DISTINCT_ID_CHARS } from '../domain/distinct-id.js';

/** Most members one static cohort may list (PRODUCT.md 6.1). */
export const MAX_STATIC_MEMBERS = 100_000;
/** Longest distinct_id (PRODUCT.md 4.1). */
export { MAX_DISTINCT_ID_CHARS };

/** One uploaded value and where it came from: `line` (CSV, 1-based) or `index` (JSON, 0-based). */
export interface UploadRow {
  line?: number;
  index?: number;
  value: unknown;
}

/** A row refused with the reason. */
export interface InvalidRow {
  line?: number;
  index?: number;
  value: unknown;
  reason: string;
}

/** The CSV is not readable as CSV (unclosed quote, no distinct_id column, ...). */
export class CsvUploadError extends Error {
  constructor(message: string, readonly line?: number) {
    super(message);
  }
}

/**
 * Reads a CSV upload (RFC 4180 quoting, UTF-8 BOM, CRLF or LF) whose header row has a
 * `distinct_id` column (any case; other columns are ignored). Blank lines are skipped.
 * Each row carries the line it starts on. Throws CsvUploadError.
 */
export function csvRows(text: string): UploadRow[] {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parseCsv(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: false }) as unknown as typeof records;
  } catch (err) {
    const e = err as { message?: string; lines?: number };
    throw new CsvUploadError(`CSV is malformed: ${e.message ?? String(err)}`, e.lines);
  }
  if (records.length === 0) throw new CsvUploadError('CSV is empty: it needs a header row with a distinct_id column');
  const header = records[0].record.map((h) => h.trim().toLowerCase());
  const col = header.indexOf('distinct_id');
  if (col === -1) throw new CsvUploadError(`CSV header has no distinct_id column (found: ${records[0].record.join(', ') || 'nothing'})`, 1);
  const rows: UploadRow[] = [];
  let prevEnd = records[0].info.lines;
  for (const { record, info } of records.slice(1)) {
    const line = prevEnd + 1;
    prevEnd = info.lines;
    if (record.every((f) => f === '')) continue; // a blank line
    rows.push({ line, value: col < record.length ? record[col] : undefined });
  }
  return rows;
}

/** A JSON list as rows (index = position in the list). */
export const jsonRows = (ids: unknown[]): UploadRow[] => ids.map((value, index) => ({ index, value }));

/**
 * Checks every row: a string of 1–200 characters after trimming, not a placeholder.
 * Returns the unique valid ids (trimmed, first-seen order) and the invalid rows.
 */
export function checkRows(rows: UploadRow[], isPlaceholder: (id: string) => boolean): { ids: string[]; invalid: InvalidRow[] } {
  const ids = new Set<string>();
  const invalid: InvalidRow[] = [];
  const shown = (v: unknown) => (typeof v === 'string' && v.length > 256 ? `${v.slice(0, 256)}…` : v ?? null);
  const bad = (r: UploadRow, reason: string) => invalid.push({ ...(r.line !== undefined ? { line: r.line } : { index: r.index }), value: shown(r.value), reason });
  for (const r of rows) {
    if (typeof r.value !== 'string') {
      bad(r, r.value === undefined ? 'the row has no distinct_id column' : 'distinct_id must be a string');
      continue;
    }
    const id = r.value.trim();
    if (id === '') bad(r, 'distinct_id is empty');
    else if (id.length > MAX_DISTINCT_ID_CHARS) bad(r, `distinct_id is longer than ${MAX_DISTINCT_ID_CHARS} characters`);
    else if (isPlaceholder(id)) bad(r, `${JSON.stringify(id)} is a placeholder id, not a user`);
    else ids.add(id);
  }
  return { ids: [...ids], invalid };
}
