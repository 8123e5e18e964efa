import type { IngestService } from './ingest.js';
import type { PeopleService } from './people.js';
import { checkDistinctId } from './event-validation.js';

/** What one source row becomes: a raw event (validated like `POST /v1/events`) and/or a `$set`. */
export interface ImportRecord {
  event?: Record<string, unknown>;
  /** person properties to `$set`; within a file, later rows win */
  set?: { distinctId: string; properties: Record<string, unknown> };
  /** the row could not be read (e.g. malformed JSON): counted as rejected */
  error?: { field: string; message: string };
}

/** One source row: its number (1-based) and what the mapping made of it (null: skipped). */
export interface ImportItem {
  row: number;
  record: ImportRecord | null;
}

export interface ImportProgress {
  rows: number;
  skipped: number;
  stored: number;
  deduplicated: number;
  rejected: number;
}

/**
 * The final report. `errors` holds the first `maxErrors` bad rows, each once, with its row
 * number, field and reason, in row order within a batch. A row whose event is rejected is
 * counted in `rejected` and its `$set` is not applied; `personUpdates.rejected` counts the
 * other `$set`s not applied (an invalid distinct_id, or refused by the People API).
 */
export interface ImportReport extends ImportProgress {
  personUpdates: { applied: number; rejected: number };
  errors: Array<{ row: number; field: string; message: string }>;
  durationMs: number;
  /** true when `signal` stopped the import after a batch */
  aborted?: boolean;
}

export interface ImportOptions {
  ingest: Pick<IngestService, 'ingest'>;
  /** needed when records carry `set` */
  people?: Pick<PeopleService, 'apply'>;
  projectId: number;
  source: AsyncIterable<ImportItem>;
  /** events per ingest batch (max 1,000) */
  batchSize?: number;
  /** added to every numeric event `time` (ms), e.g. to move old data up to now */
  shiftMs?: number;
  maxErrors?: number;
  onProgress?: (p: ImportProgress) => void;
  /**
   * Awaited after each committed batch (import jobs record their progress here): the last
   * source row the batch covers, the totals so far and this batch's problems (uncapped).
   */
  onBatch?: (b: { lastRow: number; totals: ImportProgress & { personUpdates: number }; problems: ImportReport['errors'] }) => Promise<void>;
  /** checked after each batch: when aborted the import stops there (report.aborted) */
  signal?: AbortSignal;
}

// Remembered `$set`s (to skip repeating unchanged ones) are bounded: memory stays constant.
const MAX_REMEMBERED_SETS = 100_000;

/**
 * Streams records into a project through exactly the ingest path (validation, dedup,
 * person bookkeeping) in batches, awaiting each batch before reading on (backpressure,
 * constant memory). Person `$set`s of a batch go through the People API after its events;
 * the `$set` of a row whose event was rejected is not applied.
 */
export async function importEvents(opts: ImportOptions): Promise<ImportReport> {
  const started = Date.now();
  const batchSize = Math.min(Math.max(opts.batchSize ?? 1_000, 1), 1_000);
  const maxErrors = opts.maxErrors ?? 20;
  const shift = opts.shiftMs ?? 0;
  const report: ImportReport = { rows: 0, skipped: 0, stored: 0, deduplicated: 0, rejected: 0, personUpdates: { applied: 0, rejected: 0 }, errors: [], durationMs: 0 };
  const lastSet = new Map<string, string>();
  let events: Array<Record<string, unknown>> = [];
  let rowsOf: number[] = [];
  // The batch's `$set`s in row order; `event` is the index in `events` of the same row's event.
  let pendingSets: Array<{ row: number; event?: number; distinctId: string; properties: Record<string, unknown> }> = [];
  let problems: ImportReport['errors'] = [];
  let lastRow = 0;

  async function flush(): Promise<void> {
    const rejectedEvents = new Set<number>();
    if (events.length) {
      const r = await opts.ingest.ingest(opts.projectId, events, { path: [], single: true });
      report.stored += r.stored;
      report.deduplicated += r.deduplicated;
      report.rejected += r.rejected;
      for (const e of r.errors) {
        rejectedEvents.add(e.index);
        problems.push({ row: rowsOf[e.index], field: e.field, message: e.message });
      }
    }
    const sets = new Map<string, Record<string, unknown>>();
    for (const s of pendingSets) {
      // A rejected row changes nothing: its event's error reports it, its person stays as it was.
      if (s.event !== undefined && rejectedEvents.has(s.event)) continue;
      const problem = checkDistinctId(s.distinctId);
      if (problem) {
        report.personUpdates.rejected++;
        problems.push({ row: s.row, field: 'distinct_id', message: problem });
      } else sets.set(s.distinctId, { ...sets.get(s.distinctId), ...s.properties });
    }
    problems.sort((a, b) => a.row - b.row);
    for (const e of problems) if (report.errors.length < maxErrors) report.errors.push(e);
    const batchProblems = problems;
    const updates = [];
    for (const [distinctId, properties] of sets) {
      const text = JSON.stringify(properties);
      if (lastSet.get(distinctId) === text) continue;
      lastSet.delete(distinctId);
      lastSet.set(distinctId, text);
      if (lastSet.size > MAX_REMEMBERED_SETS) lastSet.delete(lastSet.keys().next().value!);
      updates.push({ distinctId, set: properties });
    }
    if (updates.length) {
      if (!opts.people) throw new Error('importEvents: records carry person properties but no people service was given');
      const r = await opts.people.apply(opts.projectId, updates, { actor: 'import' });
      report.personUpdates.applied += r.applied;
      report.personUpdates.rejected += r.rejected;
    }
    events = [];
    rowsOf = [];
    pendingSets = [];
    problems = [];
    const totals = { rows: report.rows, skipped: report.skipped, stored: report.stored, deduplicated: report.deduplicated, rejected: report.rejected };
    opts.onProgress?.(totals);
    await opts.onBatch?.({ lastRow, totals: { ...totals, personUpdates: report.personUpdates.applied }, problems: batchProblems });
  }

  for await (const item of opts.source) {
    report.rows++;
    lastRow = item.row;
    const rec = item.record;
    if (rec?.error) {
      report.rejected++;
      // Bounded: rows before this one already fill the report when the list is full.
      if (report.errors.length + problems.length < maxErrors) problems.push({ row: item.row, field: rec.error.field, message: rec.error.message });
      continue;
    }
    if (!rec || (!rec.event && !rec.set)) {
      report.skipped++;
      continue;
    }
    let event: number | undefined;
    if (rec.event) {
      const e = shift && typeof rec.event.time === 'number' ? { ...rec.event, time: rec.event.time + shift } : rec.event;
      event = events.push(e) - 1;
      rowsOf.push(item.row);
    }
    if (rec.set) pendingSets.push({ row: item.row, event, ...rec.set });
    if (events.length >= batchSize || pendingSets.length >= batchSize) {
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
