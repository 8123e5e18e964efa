import type { IngestService } from '../services/ingest.js';
import type { PeopleService } from '../services/people.js';
import { importEvents, type ImportItem, type ImportOptions, type ImportProgress, type ImportReport } from '../services/import.js';
import { csvRows, defaultCsv, defaultNdjson, inferFormat, ndjsonRows, openFile, type ImportFormat, type RowMapping } from './sources.js';
import { uciOnlineRetail } from './uci-online-retail.js';

/** Named mappings for `import --mapping <name>`. */
export const MAPPINGS: Record<string, RowMapping> = {
  [uciOnlineRetail.name]: uciOnlineRetail,
};

export interface ImportFileOptions {
  ingest: Pick<IngestService, 'ingest'>;
  people?: Pick<PeopleService, 'apply'>;
  projectId: number;
  /** a CSV or NDJSON file, gzipped when it ends in `.gz` */
  file: string;
  /** default: from the file name (`.ndjson`, `.jsonl` -> ndjson, else csv), or the mapping's */
  format?: ImportFormat;
  /** a name in MAPPINGS, or a mapping; default: the format's default columns */
  mapping?: string | RowMapping;
  /** shift every event time by (now - newest event time in the file); reads the file twice */
  shiftToNow?: boolean;
  now?: () => number;
  batchSize?: number;
  /** progress after each batch, with file bytes read (compressed bytes for `.gz`) */
  onProgress?: (p: ImportProgress & { bytesRead: number; totalBytes: number }) => void;
  /** rows 1..afterRow are skipped (a resumed import job); row numbers stay the file's */
  afterRow?: number;
  onBatch?: ImportOptions['onBatch'];
  signal?: AbortSignal;
  maxErrors?: number;
}

function resolveMapping(opts: ImportFileOptions): RowMapping {
  if (typeof opts.mapping === 'object') return opts.mapping;
  if (typeof opts.mapping === 'string') {
    const m = MAPPINGS[opts.mapping];
    if (!m) throw new Error(`unknown mapping "${opts.mapping}" (known: ${Object.keys(MAPPINGS).join(', ')})`);
    return m;
  }
  return (opts.format ?? inferFormat(opts.file)) === 'ndjson' ? defaultNdjson : defaultCsv;
}

async function* items(file: ReturnType<typeof openFile>, format: ImportFormat, mapping: RowMapping, afterRow = 0): AsyncGenerator<ImportItem> {
  let row = 0;
  const rows = format === 'csv' ? csvRows(file.stream) : ndjsonRows(file.stream);
  for await (const r of rows) {
    row++;
    if (row <= afterRow) continue;
    yield { row, record: mapping.map(r, row) };
  }
}

/** Newest numeric event time (ms) the mapping produces from the file, or null. */
async function newestTime(path: string, format: ImportFormat, mapping: RowMapping): Promise<number | null> {
  let newest: number | null = null;
  for await (const it of items(openFile(path), format, mapping)) {
    const t = it.record?.event?.time;
    if (typeof t === 'number' && Number.isFinite(t) && (newest === null || t > newest)) newest = t;
  }
  return newest;
}

/** Imports one file into a project in-process (same validation and dedup as the API). */
export async function importFile(opts: ImportFileOptions): Promise<ImportReport & { shiftMs: number }> {
  const mapping = resolveMapping(opts);
  const format = opts.format ?? (opts.mapping ? mapping.format : inferFormat(opts.file));
  let shiftMs = 0;
  if (opts.shiftToNow) {
    const newest = await newestTime(opts.file, format, mapping);
    if (newest !== null) shiftMs = (opts.now ?? Date.now)() - newest;
  }
  const file = openFile(opts.file);
  const report = await importEvents({
    ingest: opts.ingest,
    people: opts.people,
    projectId: opts.projectId,
    source: items(file, format, mapping, opts.afterRow),
    batchSize: opts.batchSize,
    onBatch: opts.onBatch,
    signal: opts.signal,
    maxErrors: opts.maxErrors,
    shiftMs,
    onProgress: (p) => opts.onProgress?.({ ...p, bytesRead: file.bytesRead(), totalBytes: file.totalBytes }),
  });
  return { ...report, shiftMs };
}
