import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse as csvParse } from 'csv-parse';
import type { ImportRecord } from '../services/import.js';
import { isPlainObject } from '../services/event-validation.js';

export type ImportFormat = 'csv' | 'ndjson';

/** Turns one parsed row (CSV: column -> text; NDJSON: the JSON value) into a record. */
export interface RowMapping {
  name: string;
  format: ImportFormat;
  map(row: Record<string, unknown>, rowNumber: number): ImportRecord | null;
}

/** An opened file: its text stream (gunzipped when `.gz`), compressed size and bytes read so far. */
export interface OpenedFile {
  stream: Readable;
  totalBytes: number;
  bytesRead(): number;
}

export function openFile(path: string): OpenedFile {
  let read = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      read += chunk.length;
      done(null, chunk);
    },
  });
  const raw = createReadStream(path).pipe(counter);
  const stream = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  return { stream, totalBytes: statSync(path).size, bytesRead: () => read };
}

/** CSV rows as column -> text (header line names the columns; RFC 4180 quoting). */
export async function* csvRows(stream: Readable): AsyncGenerator<Record<string, unknown>> {
  const parser = stream.pipe(csvParse({ columns: true, bom: true, relax_column_count: false, skip_empty_lines: true }));
  for await (const row of parser) yield row as Record<string, unknown>;
}

/** NDJSON lines as JSON values; a line that is not JSON yields `{ $invalid: message }`. */
export async function* ndjsonRows(stream: Readable): AsyncGenerator<Record<string, unknown>> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const v = JSON.parse(line) as unknown;
      yield isPlainObject(v) ? v : { $invalid: 'line is not a JSON object' };
    } catch (err) {
      yield { $invalid: `malformed JSON (${(err as Error).message})` };
    }
  }
}

const nonEmpty = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Default CSV columns: `event, distinct_id, time, $insert_id`, plus properties as either a
 * JSON `properties` column or `properties.<name>` columns (text values), and person
 * properties as `$set.<name>` columns. `time` is unix ms digits or an ISO date-time.
 */
export const defaultCsv: RowMapping = {
  name: 'default',
  format: 'csv',
  map(row) {
    const properties: Record<string, unknown> = {};
    const set: Record<string, unknown> = {};
    let json: unknown;
    for (const [col, value] of Object.entries(row)) {
      if (col.startsWith('properties.') && nonEmpty(value) !== undefined) properties[col.slice(11)] = value;
      else if (col.startsWith('$set.') && nonEmpty(value) !== undefined) set[col.slice(5)] = value;
      else if (col === 'properties' && nonEmpty(value) !== undefined) {
        try {
          json = JSON.parse(value as string);
        } catch {
          json = value; // reported by validation: properties must be an object
        }
      }
    }
    const time = nonEmpty(row.time);
    const distinctId = typeof row.distinct_id === 'string' ? row.distinct_id : '';
    const out: ImportRecord = {};
    if (nonEmpty(row.event) !== undefined) {
      out.event = {
        event: row.event,
        distinct_id: distinctId,
        ...(time !== undefined ? { time: /^\d+$/.test(time) ? Number(time) : time } : {}),
        ...(nonEmpty(row.$insert_id) !== undefined ? { $insert_id: row.$insert_id } : {}),
        properties: json === undefined ? properties : isPlainObject(json) ? { ...json, ...properties } : json,
      };
    }
    if (Object.keys(set).length) out.set = { distinctId, properties: set };
    return out;
  },
};

/** NDJSON: each line is an event as `POST /v1/events` takes it; `$set` (an object) sets person properties. */
export const defaultNdjson: RowMapping = {
  name: 'default',
  format: 'ndjson',
  map(line) {
    if (typeof line.$invalid === 'string') return { error: { field: '(line)', message: line.$invalid } };
    const { $set, ...event } = line;
    const out: ImportRecord = {};
    if ('event' in event) out.event = event;
    if (isPlainObject($set) && typeof line.distinct_id === 'string') out.set = { distinctId: line.distinct_id, properties: $set };
    return out;
  },
};

export const inferFormat = (path: string): ImportFormat => (/\.(nd)?jsonl?(\.gz)?$/i.test(path) || /\.ndjson(\.gz)?$/i.test(path) ? 'ndjson' : 'csv');
