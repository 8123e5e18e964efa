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

/** The final report; `errors` holds the first `maxErrors` rejections with their row numbers. */
export interface ImportReport extends ImportProgress {
  personUpdates: { applied: number; rejected: number };
  errors: Array<{ row: number; field: string; message: string }>;
  durationMs: number;
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
}

// Remembered `$set`s (to skip repeating unchanged ones) are bounded: memory stays constant.
const MAX_REMEMBERED_SETS = 100_000;

/**
 * Streams records into a project through exactly the ingest path (validation, dedup,
 * person bookkeeping) in batches, awaiting each batch before reading on (backpressure,
 * constant memory). Person `$set`s of a batch go through the People API after its events.
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
  let sets = new Map<string, Record<string, unknown>>();

  const note = (row: number, field: string, message: string) => {
    if (report.errors.length < maxErrors) report.errors.push({ row, field, message });
  };

  async function flush(): Promise<void> {
    if (events.length) {
      const r = await opts.ingest.ingest(opts.projectId, events, { path: [], single: true });
      report.stored += r.stored;
      report.deduplicated += r.deduplicated;
      report.rejected += r.rejected;
      for (const e of r.errors) note(rowsOf[e.index], e.field, e.message);
    }
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
    sets = new Map();
    opts.onProgress?.({ rows: report.rows, skipped: report.skipped, stored: report.stored, deduplicated: report.deduplicated, rejected: report.rejected });
  }

  for await (const item of opts.source) {
    report.rows++;
    const rec = item.record;
    if (rec?.error) {
      report.rejected++;
      note(item.row, rec.error.field, rec.error.message);
      continue;
    }
    if (!rec || (!rec.event && !rec.set)) {
      report.skipped++;
      continue;
    }
    if (rec.event) {
      const e = shift && typeof rec.event.time === 'number' ? { ...rec.event, time: rec.event.time + shift } : rec.event;
      events.push(e);
      rowsOf.push(item.row);
    }
    if (rec.set) {
      const problem = checkDistinctId(rec.set.distinctId);
      if (problem) note(item.row, 'distinct_id', problem);
      else sets.set(rec.set.distinctId, { ...sets.get(rec.set.distinctId), ...rec.set.properties });
    }
    if (events.length >= batchSize || sets.size >= batchSize) await flush();
  }
  await flush();
  report.durationMs = Date.now() - started;
  return report;
}
