/**
 * The person document in Redis (`keys.person`), encoded once and decoded once here:
 * `{"u": version (µs), "id", "b": bucketing key, "p": properties, "i": identified,
 *   "s": {"a": answered survey keys, "l": last survey shown (unix ms) or null}}`.
 * `u` comes first so Lua can read it cheaply (identity-lua.ts PERSON_DOC_SET_LUA).
 */
import type { PersonDoc, PersonRecord } from '../../domain/person.js';

interface Stored {
  u: number;
  id: number;
  b: string;
  p: Record<string, unknown>;
  i?: boolean;
  s?: { a?: string[]; l?: number | null };
}

/** Serializes a document; the properties text from PostgreSQL is embedded as is. */
export function encodePersonDoc(doc: PersonDoc): string {
  const s = JSON.stringify({ a: doc.surveyHistory.answered, l: doc.surveyHistory.lastShownAt });
  return `{"u":${doc.version},"id":${doc.id},"b":${JSON.stringify(doc.bucketingKey)},"p":${doc.propertiesJson},"i":${doc.identified},"s":${s}}`;
}

/** Parses a stored document. Throws on text that is not JSON (a corrupt key fails the read). */
export function decodePersonDoc(text: string): PersonRecord {
  const d = JSON.parse(text) as Stored;
  return { id: d.id, bucketingKey: d.b, properties: d.p, identified: d.i === true, surveyHistory: { answered: d.s?.a ?? [], lastShownAt: d.s?.l ?? null } };
}
