/**
 * The dry run of a static-cohort upload: the report an add, replace or remove would give,
 * computed without writing, so the console shows it before anyone applies the upload.
 * Unlike the edit itself, invalid rows and an upload over the limit are reported in the
 * answer (the edit would refuse them whole with 422 / 413).
 */
import { conflict, notFound } from '../errors.js';
import { checkRows, MAX_STATIC_MEMBERS, type InvalidRow } from '../cohorts/static-member-upload.js';
import { isPlaceholderId } from '../domain/distinct-id.js';
import type { ConsoleReads } from '../ports/console-reads.js';
import { rowsOf, type MemberUpload } from './static-members.js';

export type UploadMode = 'add' | 'replace' | 'remove';

export interface UploadPreview {
  dry_run: true;
  mode: UploadMode;
  /** unique valid ids in the upload */
  ids: number;
  added: number;
  already_present: number;
  not_yet_seen: number;
  /** replace and remove */
  removed?: number;
  /** remove: ids of the upload that are not members */
  not_present?: number;
  /** at most 1,000 rows, with line (CSV) or index (JSON) */
  invalid: InvalidRow[];
  invalid_count: number;
  /** member count after the edit */
  total: number;
  limit: number;
  /** true when applying would be refused: invalid rows or more than `limit` members */
  would_refuse: boolean;
}

export interface UploadPreviewDeps {
  reads: Pick<ConsoleReads, 'countListed'>;
  /** the cohort by key (id, kind), or null */
  cohort(projectId: number, key: string): Promise<{ id: number; kind: 'static' | 'dynamic' } | null>;
  count(projectId: number, cohortId: number): Promise<number>;
  countUnseen(projectId: number, ids: string[]): Promise<number>;
}

export function createUploadPreview(deps: UploadPreviewDeps) {
  /** Throws 404 (no cohort), 409 (dynamic cohort) or 400 (unreadable CSV, with the line). */
  async function preview(projectId: number, key: string, mode: UploadMode, upload: MemberUpload): Promise<UploadPreview> {
    const cohort = await deps.cohort(projectId, key);
    if (!cohort) throw notFound(`cohort ${key} not found`);
    if (cohort.kind !== 'static') throw conflict(`cohort ${key} is dynamic: its members come from its definition`);
    const { ids, invalid: bad } = checkRows(rowsOf(upload), isPlaceholderId);
    const [before, listed, unseen] = await Promise.all([
      deps.count(projectId, cohort.id),
      ids.length ? deps.reads.countListed(projectId, cohort.id, ids) : 0,
      ids.length && mode !== 'remove' ? deps.countUnseen(projectId, ids) : 0,
    ]);
    const base = { dry_run: true as const, mode, ids: ids.length, invalid: bad.slice(0, 1000), invalid_count: bad.length, limit: MAX_STATIC_MEMBERS };
    let report: UploadPreview;
    if (mode === 'remove') {
      report = { ...base, added: 0, already_present: 0, not_yet_seen: 0, removed: listed, not_present: ids.length - listed, total: before - listed, would_refuse: false };
    } else {
      const added = ids.length - listed;
      const removed = mode === 'replace' ? before - listed : 0;
      report = { ...base, added, already_present: listed, not_yet_seen: unseen, ...(mode === 'replace' ? { removed } : {}), total: before - removed + added, would_refuse: false };
    }
    report.would_refuse = bad.length > 0 || report.total > MAX_STATIC_MEMBERS;
    return report;
  }
  return { preview };
}

export type UploadPreviewService = ReturnType<typeof createUploadPreview>;
