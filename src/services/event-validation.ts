import { randomUUID } from 'node:crypto';
import { isPlaceholderId } from '../domain/distinct-id.js';

/** Limits of PRODUCT.md 4.1 and 4.2. Bytes are UTF-8 bytes of the JSON serialization. */
export const LIMITS = {
  eventsPerBatch: 1_000,
  eventBodyBytes: 5 * 1024 * 1024,
  eventPropertiesBytes: 64 * 1024,
  personPropertiesBytes: 640 * 1024,
  nameChars: 200,
  insertIdChars: 200,
} as const;

export { isPlaceholderId };

/** A validated event, ready to store. `time` is unix ms. */
export interface ValidEvent {
  event: string;
  distinctId: string;
  time: number;
  insertId: string;
  /** false when the id was generated here (no dedup possible) */
  clientInsertId: boolean;
  properties: Record<string, unknown>;
  /** `JSON.stringify(properties)`, kept so the store does not serialize twice */
  propertiesJson: string;
}

/** Why one value is unusable: the field (relative path) and a message. */
export interface FieldProblem {
  field: string;
  message: string;
}

const EVENT_FIELDS = new Set(['event', 'distinct_id', 'time', '$insert_id', 'properties']);
/** ms below this are almost surely seconds (1973-03-03). */
const MIN_MS = 100_000_000_000;
/** events may run ahead of the server clock by at most this (device clock skew) */
const MAX_FUTURE_MS = 24 * 3600 * 1000;
const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;
// JSON escapes PostgreSQL cannot store: NUL and lone surrogates (an odd run of backslashes before `u`).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a text field: a string of 1..max characters without NUL or lone surrogates. */
export function checkText(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > max) return `must be at most ${max} characters`;
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) return 'must not contain NUL characters or lone surrogates';
  return null;
}

/** distinct_id rules: text of 1–200 characters that is not a placeholder. */
export function checkDistinctId(value: unknown): string | null {
  const problem = checkText(value, LIMITS.nameChars);
  if (problem) return problem;
  if (isPlaceholderId(value as string)) return `${JSON.stringify(value)} is a placeholder id, not a user`;
  return null;
}

/**
 * Serializes a JSON object for storage, or explains why it cannot be stored: over
 * `maxBytes` (UTF-8), or holding strings PostgreSQL's jsonb refuses (NUL, lone surrogates).
 */
export function serializeObject(value: Record<string, unknown>, maxBytes: number): { json: string } | { problem: string } {
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return { problem: 'must be serializable JSON' };
  }
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) return { problem: `must be at most ${maxBytes} bytes serialized (got ${bytes})` };
  if (json.includes('\\u') && UNSTORABLE_ESCAPE.test(json)) return { problem: 'must not contain NUL characters (\\u0000) or lone surrogates' };
  return { json };
}

/**
 * `time`: unix ms integer, or an ISO 8601 string with a zone (e.g. `2024-05-01T10:00:00Z`);
 * absent means `now`. Refuses seconds-looking numbers and times more than a day ahead.
 */
export function parseTime(value: unknown, now: number): { ms: number } | { problem: string } {
  if (value === undefined || value === null) return { ms: now };
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return { problem: 'must be an integer (unix ms)' };
    ms = value;
  } else if (typeof value === 'string' && ISO.test(value)) {
    ms = Date.parse(value);
    if (Number.isNaN(ms)) return { problem: 'must be a valid ISO 8601 date-time' };
  } else {
    return { problem: 'must be unix ms (integer) or an ISO 8601 date-time with a zone' };
  }
  if (ms < MIN_MS) return { problem: 'must be unix milliseconds (this looks like seconds or is before 1973)' };
  if (ms > now + MAX_FUTURE_MS) return { problem: 'must not be more than 24 hours in the future' };
  return { ms };
}

/**
 * Validates one raw event (PRODUCT.md 4.1). `$insert_id` may be top-level or in
 * `properties.$insert_id` (Mixpanel style); without one a random id is generated.
 * Returns the event or the first problem, with `field` relative to the event.
 */
export function validateEvent(raw: unknown, now: number): { event: ValidEvent } | { problem: FieldProblem } {
  const fail = (field: string, message: string) => ({ problem: { field, message } });
  if (!isPlainObject(raw)) return fail('', 'must be an event object');
  for (const key of Object.keys(raw)) {
    if (!EVENT_FIELDS.has(key)) return fail(key, 'unknown field (an event has event, distinct_id, time, $insert_id, properties)');
  }
  const nameProblem = checkText(raw.event, LIMITS.nameChars);
  if (nameProblem) return fail('event', nameProblem);
  if ((raw.event as string).trim() === '') return fail('event', 'must not be blank');
  const idProblem = checkDistinctId(raw.distinct_id);
  if (idProblem) return fail('distinct_id', idProblem);
  const time = parseTime(raw.time, now);
  if ('problem' in time) return fail('time', time.problem);

  const properties = raw.properties ?? {};
  if (!isPlainObject(properties)) return fail('properties', 'must be a JSON object');
  const serialized = serializeObject(properties, LIMITS.eventPropertiesBytes);
  if ('problem' in serialized) return fail('properties', serialized.problem);

  let insertId: unknown = raw.$insert_id;
  let insertField = '$insert_id';
  if (insertId === undefined && properties.$insert_id !== undefined) {
    insertId = properties.$insert_id;
    insertField = 'properties.$insert_id';
  }
  if (insertId !== undefined && insertId !== null) {
    const problem = checkText(insertId, LIMITS.insertIdChars);
    if (problem) return fail(insertField, problem);
  }
  const clientInsertId = typeof insertId === 'string';
  return {
    event: {
      event: raw.event as string,
      distinctId: raw.distinct_id as string,
      time: time.ms,
      insertId: clientInsertId ? (insertId as string) : `gen:${randomUUID()}`,
      clientInsertId,
      properties,
      propertiesJson: serialized.json,
    },
  };
}
