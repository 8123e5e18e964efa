/**
 * Checks a cohort file: the admin API's create body (`POST /v1/projects/:p/cohorts`) plus,
 * for static cohorts, `members_csv`: a CSV beside the file (path relative to it) with a
 * `distinct_id` column, read with the same parser and row checks as a CSV upload.
 * Dynamic definitions go through the cohorts engineer's validator (structure, types,
 * windows); references and regexes are checked later, with the other files and the project.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { cohortReferences, type CohortDefinition } from '../cohorts/cohort-definition.js';
import { cohortCreateFields } from '../cohorts/cohort-body.js';
import { validateCohortDefinition } from '../cohorts/validate-cohort-definition.js';
import { checkRows, csvRows, CsvUploadError, MAX_STATIC_MEMBERS } from '../cohorts/static-member-upload.js';
import { isPlaceholderId } from '../domain/distinct-id.js';
import { formatPath } from '../core/index.js';
import type { RuleFile, RuleIssue } from './load.js';
import type { CohortKind } from '../domain/cohort.js';

// The create body of the cohorts admin API plus members_csv.
const cohortFileSchema = z
  .object({
    ...cohortCreateFields,
    /** static only: the member list, a CSV file relative to this file */
    members_csv: z.string().min(1).optional(),
  })
  .strict();

/** A cohort ready to plan: the fields the API stores, and the static member list if any. */
export interface CohortSpec {
  key: string;
  file: string;
  kind: CohortKind;
  name: string;
  description: string;
  refreshIntervalS: number | null;
  /** dynamic: the definition as the service stores it (zod-parsed, defaults filled in) */
  definition: CohortDefinition | null;
  /** static with members_csv: unique ids in file order, and the CSV's display path */
  members: { ids: string[]; file: string } | null;
  /** cohorts the definition references, with each reference's path in the file */
  refs: Array<{ key: string; at: string }>;
}

async function readMembers(f: RuleFile, csv: string, issues: RuleIssue[]): Promise<{ ids: string[]; file: string } | null> {
  const file = path.join(path.dirname(f.file), csv);
  const text = await readFile(path.join(path.dirname(f.abs), csv), 'utf8').catch(() => null);
  if (text === null) {
    issues.push({ file: f.file, at: 'members_csv', message: `cannot read ${file}` });
    return null;
  }
  try {
    const { ids, invalid } = checkRows(csvRows(text), isPlaceholderId);
    for (const bad of invalid) issues.push({ file, at: `line ${bad.line}`, message: bad.reason });
    if (ids.length > MAX_STATIC_MEMBERS) issues.push({ file, message: `a static cohort lists at most ${MAX_STATIC_MEMBERS} members; this file has ${ids.length}` });
    return invalid.length ? null : { ids, file };
  } catch (err) {
    if (!(err instanceof CsvUploadError)) throw err;
    issues.push({ file, at: err.line !== undefined ? `line ${err.line}` : undefined, message: err.message });
    return null;
  }
}

/** Validates one cohort file (and its CSV); returns its spec or every problem found. */
export async function validateCohortFile(f: RuleFile): Promise<{ spec: CohortSpec | null; issues: RuleIssue[]; csvFile: string | null }> {
  const csv = typeof f.doc.members_csv === 'string' ? path.join(path.dirname(f.file), f.doc.members_csv) : null;
  const parsed = cohortFileSchema.safeParse(f.doc);
  if (!parsed.success) {
    return { spec: null, csvFile: csv, issues: parsed.error.issues.map((i) => ({ file: f.file, at: formatPath(i.path) || undefined, message: i.message })) };
  }
  const doc = parsed.data;
  const issues: RuleIssue[] = [];
  let definition: CohortDefinition | null = null;
  let members: CohortSpec['members'] = null;
  if (doc.kind === 'dynamic') {
    if (doc.members_csv !== undefined) issues.push({ file: f.file, at: 'members_csv', message: 'only static cohorts list members; a dynamic cohort has a definition' });
    if (doc.definition === undefined || doc.definition === null) {
      issues.push({ file: f.file, at: 'definition', message: 'a dynamic cohort needs a definition' });
    } else {
      const result = validateCohortDefinition(doc.definition);
      if (result.definition) definition = result.definition;
      else for (const i of result.issues) issues.push({ file: f.file, at: i.path, message: i.message });
    }
  } else {
    if (doc.definition !== undefined && doc.definition !== null) {
      issues.push({ file: f.file, at: 'definition', message: 'a static cohort has no definition: list its members in members_csv' });
    }
    if (doc.members_csv !== undefined) members = await readMembers(f, doc.members_csv, issues);
  }
  if (issues.length) return { spec: null, issues, csvFile: csv };
  const refs = definition ? cohortReferences(definition).map((r) => ({ key: r.key, at: formatPath(['definition', ...r.path]) })) : [];
  return {
    spec: {
      key: doc.key,
      file: f.file,
      kind: doc.kind,
      name: doc.name,
      description: doc.description ?? '',
      refreshIntervalS: doc.refresh_interval_s ?? null,
      definition,
      members,
      refs,
    },
    issues: [],
    csvFile: csv,
  };
}
