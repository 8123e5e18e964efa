/**
 * A static cohort's members from a file (docs/imports.md "Static cohort members"): a CSV with a
 * `distinct_id` column (any case; other columns ignored) or NDJSON objects with `distinct_id`,
 * read as a stream and added in batches (each batch one transaction, `apply`). Rows are checked
 * as the members API checks them (static-member-upload.ts `checkRows`); a bad row is reported
 * with its row number and skipped, its neighbours still count.
 */
import { parse as csvParse } from 'csv-parse';
import { checkRows, type UploadRow } from '../cohorts/static-member-upload.js';
import { isPlaceholderId } from '../domain/distinct-id.js';
import type { ImportReport } from '../services/import.js';
import { ndjsonRows, openFile, type ImportFormat } from './sources.js';

export interface MemberImportOptions {
  /** adds one batch of unique valid ids in one transaction; returns how many were new members */
  apply(ids: string[]): Promise<{ added: number }>;
  /** CSV or NDJSON, gzipped when it ends in `.gz` */
  file: string;
  format: ImportFormat;
  /** rows 1..afterRow are skipped (a resumed job); row numbers stay the file's */
  afterRow?: number;
  /** ids per batch (default 1,000) */
  batchSize?: number;
  maxErrors?: number;
  /** awaited after each committed batch: as importEvents' (stored = added, deduplicated = valid rows not added) */
  onBatch?: (b: { lastRow: number; totals: { rows: number; skipped: number; stored: number; deduplicated: number; rejected: number; personUpdates: number }; problems: ImportReport['errors'] }) => Promise<void>;
  signal?: AbortSignal;
}

/** Thrown when the CSV header names no distinct_id column: the whole job fails with it. */
export class MemberFileError extends Error {}

/** CSV data rows (1 = the first row after the header) as the `distinct_id` value, or undefined. */
async function* csvIds(file: string): AsyncGenerator<unknown> {
  let column: string | null = null;
  // Ragged rows are kept (relax_column_count): a row without the column is a failed row, not a failed job.
  const parser = openFile(file).stream.pipe(csvParse({ columns: true, bom: true, relax_column_count: true, skip_empty_lines: true }));
  for await (const row of parser as AsyncIterable<Record<string, unknown>>) {
    if (column === null) {
      column = Object.keys(row).find((k) => k.trim().toLowerCase() === 'distinct_id') ?? null;
      if (column === null) throw new MemberFileError(`CSV header has no distinct_id column (found: ${Object.keys(row).join(', ') || 'nothing'})`);
    }
    yield row[column];
  }
}

/** NDJSON lines (blank ones not counted) as their `distinct_id`; an unreadable line as an error. */
async function* ndjsonIds(file: string): AsyncGenerator<unknown> {
  for await (const row of ndjsonRows(openFile(file).stream)) yield '$invalid' in row ? { $invalid: row.$invalid } : row.distinct_id;
}

/** Imports the members of one file; returns the totals (as an event import's report). */
export async function importMembers(opts: MemberImportOptions): Promise<ImportReport> {
  const started = Date.now();
  const batchSize = Math.min(Math.max(opts.batchSize ?? 1_000, 1), 10_000);
  const maxErrors = opts.maxErrors ?? 20;
  const afterRow = opts.afterRow ?? 0;
  const report: ImportReport = { rows: 0, skipped: 0, stored: 0, deduplicated: 0, rejected: 0, personUpdates: { applied: 0, rejected: 0 }, errors: [], durationMs: 0 };
  let batch: UploadRow[] = [];
  let problems: ImportReport['errors'] = [];
  let lastRow = 0;

  async function flush(): Promise<void> {
    const { ids, invalid } = checkRows(batch, isPlaceholderId);
    for (const bad of invalid) problems.push({ row: bad.line!, field: 'distinct_id', message: bad.reason });
    const { added } = ids.length ? await opts.apply(ids) : { added: 0 };
    report.rejected += invalid.length;
    report.stored += added;
    report.deduplicated += batch.length - invalid.length - added;
    problems.sort((a, b) => a.row - b.row);
    for (const e of problems) if (report.errors.length < maxErrors) report.errors.push(e);
    const batchProblems = problems;
    batch = [];
    problems = [];
    await opts.onBatch?.({ lastRow, totals: { rows: report.rows, skipped: 0, stored: report.stored, deduplicated: report.deduplicated, rejected: report.rejected, personUpdates: 0 }, problems: batchProblems });
  }

  let row = 0;
  for await (const value of opts.format === 'csv' ? csvIds(opts.file) : ndjsonIds(opts.file)) {
    row++;
    if (row <= afterRow) continue;
    report.rows++;
    lastRow = row;
    if (typeof value === 'object' && value !== null && '$invalid' in value) {
      report.rejected++;
      problems.push({ row, field: 'line', message: String((value as { $invalid: unknown }).$invalid) });
    } else batch.push({ line: row, value });
    if (batch.length + problems.length >= batchSize) {
      await flush();
      if (opts.signal?.aborted) {
        report.aborted = true;
        break;
      }
    }
  }
  if (!report.aborted) await flush();
  report.durationMs = Date.now() - started;
  return report;
}
