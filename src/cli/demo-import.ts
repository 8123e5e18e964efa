import cliProgress from 'cli-progress';
import type { CliComposition } from '../composition.js';
import { importEvents, type ImportItem, type ImportReport } from '../services/import.js';
import { csvRows, openFile } from '../import/sources.js';
import { uciOnlineRetail } from '../import/uci-online-retail.js';

/** The audit entry that marks the demo data as imported (the database remembers, not a file). */
const MARK = { entityKind: 'import', entityKey: uciOnlineRetail.name } as const;

/** What the demo import did or had done on an earlier run. Times are unix ms. */
export interface DemoImport {
  /** true when an earlier run had imported everything: nothing was read this time */
  reused: boolean;
  importedAt: string;
  rows: number;
  stored: number;
  deduplicated: number;
  rejected: number;
  events: number;
  /** ms added to every InvoiceDate (read as UTC) */
  shiftMs: number;
  newestRawMs: number;
  durationMs: number;
}

/** One pass over the file: the first mapped event (to find an earlier run's shift), the newest time, the event count. */
async function scan(file: string): Promise<{ first: { insertId: string; time: number } | null; newest: number; events: number }> {
  let first: { insertId: string; time: number } | null = null;
  let newest = -Infinity;
  let events = 0;
  let row = 0;
  for await (const r of csvRows(openFile(file).stream)) {
    const e = uciOnlineRetail.map(r, ++row)?.event;
    if (!e || typeof e.time !== 'number') continue;
    events++;
    first ??= { insertId: String(e.$insert_id), time: e.time };
    if (e.time > newest) newest = e.time;
  }
  if (!first) throw new Error(`${file}: no row with a CustomerID; is it the UCI Online Retail CSV?`);
  return { first, newest, events };
}

async function* items(file: ReturnType<typeof openFile>): AsyncGenerator<ImportItem> {
  let row = 0;
  for await (const r of csvRows(file.stream)) {
    row++;
    yield { row, record: uciOnlineRetail.map(r, row) };
  }
}

/**
 * Imports the UCI Online Retail CSV into the demo project with the canonical mapping
 * (src/import/uci-online-retail.ts), times shifted so that the newest event is `now`, through
 * the feeds' importer (ingest validation, `$insert_id` dedup, `$set country`), with a
 * progress bar on stderr. Idempotent: a completed import is recorded in the audit log and
 * not repeated; an interrupted one is resumed with the shift of its first run (read back
 * from its first stored event), so all events share one shift.
 */
export async function importDemoData(c: CliComposition, projectId: number, file: string, now: number): Promise<DemoImport> {
  const [done] = await c.audit.list(projectId, { ...MARK, limit: 1 });
  if (done) return { ...(done.after as Omit<DemoImport, 'reused' | 'importedAt'>), reused: true, importedAt: done.createdAt };

  const scanStarted = Date.now();
  process.stderr.write(`reading ${file} to find the newest invoice ...\n`);
  const { first, newest, events } = await scan(file);
  process.stderr.write(`  read in ${((Date.now() - scanStarted) / 1000).toFixed(1)} s\n`);
  const storedAt = await c.events.store.timeOf(c.events.db, projectId, first!.insertId);
  const shiftMs = storedAt !== null ? storedAt - first!.time : now - newest;
  if (storedAt !== null) process.stderr.write(`resuming an interrupted import with its shift of ${shiftMs} ms\n`);

  const opened = openFile(file);
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'import  |{bar}| {percentage}% | rows {rows} | stored {stored} | dedup {deduplicated} | rejected {rejected} | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
      // Without a terminal (CI, a log file) print the bar every 5 s instead of redrawing it.
      noTTYOutput: true,
      notTTYSchedule: 5_000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(opened.totalBytes, 0, { rows: 0, stored: 0, deduplicated: 0, rejected: 0 });
  let report: ImportReport;
  try {
    report = await importEvents({
      ingest: c.ingest,
      people: c.people,
      projectId,
      source: items(opened),
      shiftMs,
      onProgress: (p) => bar.update(opened.bytesRead(), p),
    });
    bar.update(opened.totalBytes);
  } finally {
    bar.stop();
  }
  const result: Omit<DemoImport, 'reused' | 'importedAt'> = {
    rows: report.rows,
    stored: report.stored,
    deduplicated: report.deduplicated,
    rejected: report.rejected,
    events,
    shiftMs,
    newestRawMs: newest,
    durationMs: report.durationMs,
  };
  for (const e of report.errors.slice(0, 5)) process.stderr.write(`  rejected row ${e.row}: ${e.field}: ${e.message}\n`);
  await c.audit.write({ projectId, actor: 'cli:demo', action: 'import', ...MARK, after: { ...result, file } });
  return { ...result, reused: false, importedAt: new Date().toISOString() };
}
