/**
 * Members of every cohort (issue 21, PRODUCT.md 6): pages of a dynamic cohort's live
 * materialized version with each member's distinct ids, and a streamed CSV export of any
 * cohort. A listing pins the version it started on: its cursor names that version and never
 * continues in another one; once that version is replaced and dropped the next page is a 409
 * (`details.reason: version_gone`) and the caller starts again on the live version.
 *
 * Members come from the membership store (Redis: SSCAN of the version's set); their distinct
 * ids from PostgreSQL (person_distinct_ids), one query per page.
 */
import { conflict, invalid } from '../errors.js';
import type { Cohort } from '../domain/cohort.js';
import type { Db } from '../ports/db.js';
import type { MembershipStore } from '../ports/membership-store.js';
import type { PersonStore } from '../ports/person-store.js';
import type { StaticMemberStore } from '../ports/static-member-store.js';

/** One member of a materialized version: a person and their distinct ids, or an unseen static id (personId null). */
export interface CohortMember {
  personId: number | null;
  distinctIds: string[];
}

/** Where a listing stands: the pinned version and the store's scan cursor. */
export interface MembersCursor {
  version: number;
  scan: string;
}

export interface MembersPage {
  version: number;
  members: CohortMember[];
  next: MembersCursor | null;
}

export interface CohortMembersDeps {
  membership: Pick<MembershipStore, 'currentVersion' | 'scanMembers'>;
  persons: Pick<PersonStore, 'distinctIdsOf'>;
  staticMembers: Pick<StaticMemberStore, 'list'>;
  db: Db;
}

/** Largest page (members) of a listing; the export reads pages of this size. */
export const MAX_MEMBERS_PAGE = 1_000;

/** `v<version>.<scan>` base64url-encoded: opaque to clients. */
export const encodeMembersCursor = (c: MembersCursor): string => Buffer.from(`v${c.version}.${c.scan}`, 'utf8').toString('base64url');

/** Parses a cursor from `encodeMembersCursor`; a 400 naming `query.cursor` otherwise. */
export function decodeMembersCursor(raw: string): MembersCursor {
  const text = /^[A-Za-z0-9_-]{1,800}$/.test(raw) ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  // The scan part is the membership store's own cursor (it checks it: a malformed one is a 400 too).
  const m = /^v(\d{1,10})\.([\x21-\x7e]{1,500})$/su.exec(text);
  if (!m) throw invalid('query.cursor: must be a cursor returned by a previous page of this cohort');
  return { version: Number(m[1]), scan: m[2] };
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, or edge spaces. */
const csvField = (v: string): string => (/[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function createCohortMembers(deps: CohortMembersDeps) {
  const { membership, persons } = deps;

  /** Members with their distinct ids, in the store's order. */
  async function withDistinctIds(projectId: number, raw: string[]): Promise<CohortMember[]> {
    const ids = raw.filter((m) => !m.startsWith('d:')).map(Number);
    const dids = await persons.distinctIdsOf(deps.db, projectId, ids);
    return raw.map((m) => (m.startsWith('d:') ? { personId: null, distinctIds: [m.slice(2)] } : { personId: Number(m), distinctIds: dids.get(Number(m)) ?? [] }));
  }

  /**
   * One page of a cohort's live version (static cohorts too: their materialized version);
   * `cursor` null starts on the live version. Throws 409 when the cohort was never
   * materialized, or when the cursor's version is gone.
   */
  async function page(c: Cohort, cursor: MembersCursor | null, limit: number): Promise<MembersPage> {
    let version = cursor?.version;
    if (version === undefined) {
      const live = await membership.currentVersion(c.projectId, c.id);
      if (live === null) throw conflict(`cohort ${c.key} has no materialized members yet (state ${c.state}); try again after its first refresh`, { reason: 'not_materialized', state: c.state });
      version = live;
    }
    let scan: Awaited<ReturnType<typeof membership.scanMembers>>;
    try {
      scan = await membership.scanMembers(c.projectId, c.id, version, cursor?.scan ?? null, Math.min(limit, MAX_MEMBERS_PAGE));
    } catch (err) {
      if (String((err as Error).message).startsWith('malformed member scan cursor')) throw invalid('query.cursor: must be a cursor returned by a previous page of this cohort');
      throw err;
    }
    if (scan === null) {
      const live = await membership.currentVersion(c.projectId, c.id);
      throw conflict(`version ${version} of cohort ${c.key} was replaced by a refresh (live version: ${live ?? 'none'}); start the listing again without a cursor`, {
        reason: 'version_gone',
        version,
        live_version: live,
      });
    }
    return { version, members: await withDistinctIds(c.projectId, scan.members), next: scan.cursor === null ? null : { version, scan: scan.cursor } };
  }

  /**
   * The CSV export of a cohort, as chunks of text: a `distinct_id,person_id` header, then one
   * row per distinct id (a member with several ids has several rows; an unseen static id has
   * an empty person_id), so the file uploads back as a static cohort. Static cohorts list
   * their uploaded ids (PostgreSQL, by distinct_id); dynamic ones their live version, pinned
   * at the start (a refresh that drops it mid-export ends the stream with an error).
   */
  async function* exportCsv(c: Cohort): AsyncGenerator<string> {
    yield 'distinct_id,person_id\r\n';
    if (c.kind === 'static') {
      let after: string | null = null;
      for (;;) {
        const rows = await deps.staticMembers.list(c.projectId, c.id, after, MAX_MEMBERS_PAGE);
        if (rows.length) yield rows.map((r) => `${csvField(r.distinctId)},${r.personId ?? ''}\r\n`).join('');
        if (rows.length < MAX_MEMBERS_PAGE) return;
        after = rows[rows.length - 1].distinctId;
      }
    }
    let cursor: MembersCursor | null = null;
    do {
      const p: MembersPage = await page(c, cursor, MAX_MEMBERS_PAGE);
      const lines = p.members.flatMap((m) => m.distinctIds.map((d) => `${csvField(d)},${m.personId ?? ''}\r\n`));
      if (lines.length) yield lines.join('');
      cursor = p.next;
    } while (cursor !== null);
  }

  return { page, exportCsv };
}

export type CohortMembersService = ReturnType<typeof createCohortMembers>;
