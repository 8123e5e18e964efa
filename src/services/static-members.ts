/**
 * Static-cohort members (PRODUCT.md 6.1): add, remove, replace and list distinct_ids from
 * a JSON list or a CSV upload. An upload with any invalid row, or one that would take the
 * cohort past 100,000 members, is refused whole: nothing is written. Valid edits commit in
 * one transaction, then the cohort is rematerialized before the response, so the new
 * members count from the next handshake on.
 */
import { AppError, conflict, invalid, notFound } from '../errors.js';
import { checkRows, csvRows, CsvUploadError, jsonRows, MAX_STATIC_MEMBERS, type InvalidRow, type UploadRow } from '../cohorts/static-member-upload.js';
import { isPlaceholderId } from '../domain/distinct-id.js';
import type { RefreshCohort } from '../ports/refresh-cohort.js';
import type { AdminPrincipal } from './projects.js';
import type { AuditStore } from '../ports/audit-store.js';
import type { Cohort, StaticMember } from '../domain/cohort.js';
import type { CohortStore } from '../ports/cohort-store.js';
import type { StaticMemberStore } from '../ports/static-member-store.js';
import type { Transactions } from '../ports/db.js';

/** An upload as received: a JSON list of ids or a CSV document. */
export type MemberUpload = { kind: 'json'; ids: unknown[] } | { kind: 'csv'; text: string };

/** The answer to an edit. Counts are of unique valid ids; `total` is the member count after. */
export interface MembersReport {
  added: number;
  already_present: number;
  /** ids of the upload that no person holds yet (members anyway, from the first sight on) */
  not_yet_seen: number;
  /** remove / replace only */
  removed?: number;
  not_present?: number;
  invalid: InvalidRow[];
  total: number;
  /** whether Redis already serves the edit (`ok`), or the refresher will (`pending`, `skipped`: paused) */
  materialization: { status: 'ok' | 'pending' | 'skipped'; version: number | null };
}

export interface StaticMembersDeps {
  tx: Transactions;
  cohorts: CohortStore;
  staticMembers: StaticMemberStore;
  audit: AuditStore;
  refreshCohort: RefreshCohort;
  /** how long an edit waits for a refresh run elsewhere to release the cohort (ms, default 5 s) */
  busyWaitMs?: number;
}

/** The rows of an upload (JSON ids or CSV); a CSV it cannot read is a 400 naming the line. */
export function rowsOf(upload: MemberUpload): UploadRow[] {
  if (upload.kind === 'json') return jsonRows(upload.ids);
  try {
    return csvRows(upload.text);
  } catch (err) {
    if (err instanceof CsvUploadError) throw invalid(err.message, err.line !== undefined ? { line: err.line } : undefined);
    throw err;
  }
}

export function createStaticMembersService(deps: StaticMembersDeps) {
  const { tx, cohorts, staticMembers: members, audit } = deps;
  const busyWaitMs = deps.busyWaitMs ?? 5_000;
  const worker = `api:${process.pid}:members`;

  /** Valid unique ids of an upload, or a 422 listing every invalid row (nothing applied). */
  function validIds(upload: MemberUpload): string[] {
    const { ids, invalid: bad } = checkRows(rowsOf(upload), isPlaceholderId);
    if (bad.length) {
      throw new AppError('unprocessable', `${bad.length} invalid row(s); nothing was applied`, { invalid: bad.slice(0, 1000), invalid_count: bad.length });
    }
    if (ids.length > MAX_STATIC_MEMBERS) throw tooMany(ids.length);
    return ids;
  }

  const tooMany = (n: number) =>
    new AppError('payload_too_large', `a static cohort lists at most ${MAX_STATIC_MEMBERS} members; this would make ${n}; nothing was applied`, { limit: MAX_STATIC_MEMBERS, total: n });

  async function staticCohort(projectId: number, key: string, db: Parameters<CohortStore['lockByKey']>[2]): Promise<Cohort> {
    const c = await cohorts.lockByKey(projectId, key, db);
    if (!c) throw notFound(`cohort ${key} not found`);
    if (c.kind !== 'static') throw conflict(`cohort ${key} is dynamic: its members come from its definition`);
    return c;
  }

  /** Rematerializes after an edit, waiting briefly for a run elsewhere; else leaves it due. */
  async function materialize(c: Cohort): Promise<MembersReport['materialization']> {
    const deadline = Date.now() + busyWaitMs;
    for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
      const outcome = await deps.refreshCohort(c.projectId, c.id, { worker, leaseMs: 60_000 });
      if (outcome.status === 'ok') return { status: 'ok', version: outcome.version };
      if (outcome.status === 'skipped') return { status: 'skipped', version: null };
      if (outcome.status === 'failed' || Date.now() + wait > deadline) break;
      await new Promise((r) => setTimeout(r, wait));
    }
    await cohorts.markDue(c.projectId, c.id);
    return { status: 'pending', version: null };
  }

  async function edit(
    who: AdminPrincipal,
    projectId: number,
    key: string,
    action: 'add' | 'remove' | 'replace',
    upload: MemberUpload,
  ): Promise<MembersReport> {
    const ids = validIds(upload);
    const { cohort, report } = await tx.run(async (db) => {
      const cohort = await staticCohort(projectId, key, db);
      const before = await members.count(projectId, cohort.id, db);
      let report: Omit<MembersReport, 'materialization'>;
      if (action === 'remove') {
        const removed = await members.remove(projectId, cohort.id, ids, db);
        report = { added: 0, already_present: 0, not_yet_seen: 0, removed, not_present: ids.length - removed, invalid: [], total: before - removed };
      } else {
        const removed = action === 'replace' ? await members.removeOthers(projectId, cohort.id, ids, db) : 0;
        const added = await members.add(projectId, cohort.id, ids, db);
        const total = before - removed + added;
        if (total > MAX_STATIC_MEMBERS) throw tooMany(total); // rolls the whole edit back
        const notYetSeen = await members.countUnseen(projectId, ids, db);
        report = { added, already_present: ids.length - added, not_yet_seen: notYetSeen, ...(action === 'replace' ? { removed } : {}), invalid: [], total };
      }
      await audit.write(
        { projectId, actor: who.actor, action: `members.${action}`, entityKind: 'cohort', entityKey: key, before: { total: before }, after: { ...report, ids: ids.length } },
        db,
      );
      return { cohort, report };
    });
    return { ...report, materialization: await materialize(cohort) };
  }

  return {
    /** Adds ids (JSON or CSV). Throws 422 (invalid rows) or 413 (over 100,000); nothing applied then. */
    add: (who: AdminPrincipal, projectId: number, key: string, upload: MemberUpload) => edit(who, projectId, key, 'add', upload),
    /** Removes ids; ids that were not members are counted in `not_present`. */
    remove: (who: AdminPrincipal, projectId: number, key: string, upload: MemberUpload) => edit(who, projectId, key, 'remove', upload),
    /** Makes the upload the whole member list. */
    replace: (who: AdminPrincipal, projectId: number, key: string, upload: MemberUpload) => edit(who, projectId, key, 'replace', upload),

    /** 404 unless `key` is a static cohort of the project (an import job checks before its upload). */
    async check(projectId: number, key: string): Promise<void> {
      const c = await cohorts.byKey(projectId, key);
      if (!c) throw notFound(`cohort ${key} not found`);
      if (c.kind !== 'static') throw conflict(`cohort ${key} is dynamic: its members come from its definition`);
    },

    /**
     * One batch of an import job (docs/imports.md): adds unique valid `ids` in one transaction
     * with its audit entry; over 100,000 members it throws 413 and the batch is rolled back
     * (batches committed before stay). Does not rematerialize: the job does once, at its end.
     */
    async importBatch(actor: string, projectId: number, key: string, ids: string[], jobId: number): Promise<{ added: number; total: number }> {
      return tx.run(async (db) => {
        const cohort = await staticCohort(projectId, key, db);
        const before = await members.count(projectId, cohort.id, db);
        const added = await members.add(projectId, cohort.id, ids, db);
        if (before + added > MAX_STATIC_MEMBERS) throw tooMany(before + added);
        await audit.write(
          { projectId, actor, action: 'members.import', entityKind: 'cohort', entityKey: key, before: { total: before }, after: { added, already_present: ids.length - added, total: before + added, job: jobId } },
          db,
        );
        return { added, total: before + added };
      });
    },

    /** Rematerializes a static cohort after an import (waits briefly for a run elsewhere, else leaves it due). */
    async rematerialize(projectId: number, key: string): Promise<MembersReport['materialization']> {
      const c = await cohorts.byKey(projectId, key);
      if (c?.kind !== 'static') return { status: 'skipped', version: null };
      return materialize(c);
    },

    /** One page of members ordered by distinct_id; `after` is the last distinct_id of the previous page. */
    async list(projectId: number, key: string, after: string | null, limit: number): Promise<StaticMember[]> {
      const c = await cohorts.byKey(projectId, key);
      if (!c) throw notFound(`cohort ${key} not found`);
      if (c.kind !== 'static') throw conflict(`cohort ${key} is dynamic: its members are materialized, not listed`);
      return members.list(projectId, c.id, after, limit);
    },
  };
}

export type StaticMembersService = ReturnType<typeof createStaticMembersService>;
