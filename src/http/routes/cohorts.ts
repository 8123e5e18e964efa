import express, { type Request } from 'express';
import { z } from 'zod';
import type { RouteModule } from '../app.js';
import { jsonBody } from '../app.js';
import { parse } from '../validate.js';
import { page, parsePage, versionParam } from '../pagination.js';
import { AppError } from '../../errors.js';
import { cohortKeySchema } from '../../cohorts/cohort-definition.js';
import { cohortCreateSchema, refreshIntervalSchema } from '../../cohorts/cohort-body.js';
import type { RefreshOutcome } from '../../ports/refresh-cohort.js';
import type { RefreshNow } from '../../services/cohort-refresh-now.js';
import type { CohortsService } from '../../services/cohorts.js';
import type { MemberUpload, StaticMembersService } from '../../services/static-members.js';
import { decodeMembersCursor, encodeMembersCursor, type CohortMember, type CohortMembersService } from '../../services/cohort-members.js';
import type { Cohort, StaticMember } from '../../domain/cohort.js';

const interval = refreshIntervalSchema;
const createCohort = cohortCreateSchema;

const patchCohort = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    definition: z.unknown().optional(),
    refresh_interval_s: interval.optional(),
    definition_version: z.number().int().min(1).max(2_147_483_647).optional(),
  })
  .strict();

const listQuery = z.object({ include_archived: z.enum(['true', 'false']).optional(), search: z.string().trim().min(1).max(200).optional() });
const membersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(400).optional(),
});
const idList = z.object({ distinct_ids: z.array(z.unknown()).max(1_000_000) }).strict();

/** The cohort response shape (snake_case, times ISO). */
export const cohortBody = (c: Cohort) => ({
  key: c.key,
  name: c.name,
  description: c.description,
  kind: c.kind,
  definition: c.definition,
  state: c.state,
  definition_version: c.definitionVersion,
  version: c.version,
  pending_version: c.pendingVersion,
  member_count: c.memberCount,
  last_calculated_at: c.lastCalculatedAt,
  errors_calculating: c.errorsCalculating,
  last_error_at: c.lastErrorAt,
  last_error_code: c.lastErrorCode,
  last_error_message: c.lastErrorMessage,
  refresh_interval_s: c.refreshIntervalS,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
  is_calculating: c.isCalculating,
  created_by: c.createdBy,
});

const dynamicMemberBody = (m: CohortMember) => ({ person_id: m.personId, distinct_ids: m.distinctIds });

const memberBody = (m: StaticMember) => ({ distinct_id: m.distinctId, person_id: m.personId, added_at: m.addedAt });

const outcomeBody = (o: RefreshOutcome) =>
  o.status === 'ok'
    ? { status: o.status, version: o.version, member_count: o.memberCount, duration_ms: o.durationMs, as_of: new Date(o.asOf).toISOString() }
    : o;

/** Member cursors are the last distinct_id of a page, base64url-encoded (opaque). */
const encodeCursor = (distinctId: string) => Buffer.from(distinctId, 'utf8').toString('base64url');
function decodeCursor(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw new AppError('invalid_request', 'query.cursor: must be a cursor returned by a previous page');
  return Buffer.from(raw, 'base64url').toString('utf8');
}

/** `If-Match: <definition_version>` (quotes and W/ allowed) or `definition_version` in the body; null when neither. */
function expectedVersion(req: Request, bodyVersion: number | undefined): number | null {
  const header = req.headers['if-match'];
  if (typeof header === 'string') return parse(versionParam, header.replace(/^W\//, '').replace(/"/g, '').trim(), 'If-Match');
  return bodyVersion ?? null;
}

/** A JSON `{ distinct_ids: [...] }` body or a `text/csv` body with a distinct_id column. */
function upload(req: Request): MemberUpload {
  if (req.is('text/csv')) {
    if (typeof req.body !== 'string') throw new AppError('invalid_request', 'body: expected CSV text');
    return { kind: 'csv', text: req.body };
  }
  return { kind: 'json', ids: parse(idList, req.body ?? {}, 'body').distinct_ids };
}

/** Cohort admin API (PRODUCT.md 6.1, 9). Lifecycle endpoints live in cohort-lifecycle.ts. */
export function cohortRoutes(deps: {
  cohorts: CohortsService;
  staticMembers: StaticMembersService;
  members: CohortMembersService;
  refreshNow: RefreshNow;
  /** largest member upload in bytes (UPLOAD_MAX_BYTES, default 16 MiB); over it 413 naming the limit */
  uploadMaxBytes?: number;
}): RouteModule {
  const { cohorts, staticMembers: members } = deps;
  return (app, auth) => {
    const body = jsonBody('100kb');
    // Member uploads: up to 100,000 ids of up to 200 characters, as JSON or CSV (16 MiB holds them).
    const uploadLimit = deps.uploadMaxBytes ?? 16 * 1024 ** 2;
    const uploadBody = [jsonBody(uploadLimit), express.text({ type: 'text/csv', limit: uploadLimit })];
    const base = '/v1/projects/:project/cohorts';
    const keyOf = (req: Request) => parse(cohortKeySchema, req.params.key, 'key');

    app.post(base, body, auth.requireAdminProject, async (req, res) => {
      const input = parse(createCohort, req.body, 'body');
      const c = await cohorts.create(req.admin!, req.adminProject!, {
        key: input.key,
        name: input.name,
        description: input.description,
        kind: input.kind,
        definition: input.definition,
        refreshIntervalS: input.refresh_interval_s,
      });
      res.status(201).setHeader('ETag', `"${c.definitionVersion}"`).json(cohortBody(c));
    });

    app.get(base, auth.requireAdminProject, async (req, res) => {
      const q = parsePage(req.query);
      const { include_archived, search } = parse(listQuery, req.query, 'query');
      const pid = req.adminProject!.id;
      const [rows, counts] = await Promise.all([cohorts.list(pid, { includeArchived: include_archived === 'true', afterId: q.cursor ?? 0, limit: q.limit, search }), cohorts.countByState(pid)]);
      const p = page(rows, q.limit, (c) => c.id);
      // counts: every cohort of the project by state (not only this page's, nor only the search's)
      res.json({ data: p.data.map(cohortBody), next_cursor: p.next_cursor, counts });
    });

    app.get(`${base}/:key`, auth.requireAdminProject, async (req, res) => {
      const c = await cohorts.get(req.adminProject!.id, keyOf(req));
      res.setHeader('ETag', `"${c.definitionVersion}"`).json(cohortBody(c));
    });

    app.patch(`${base}/:key`, body, auth.requireAdminProject, async (req, res) => {
      const input = parse(patchCohort, req.body, 'body');
      const c = await cohorts.update(
        req.admin!,
        req.adminProject!,
        keyOf(req),
        { name: input.name, description: input.description, definition: input.definition, refreshIntervalS: input.refresh_interval_s },
        expectedVersion(req, input.definition_version),
      );
      res.setHeader('ETag', `"${c.definitionVersion}"`).json(cohortBody(c));
    });

    // Static cohorts: the uploaded ids (PostgreSQL, by distinct_id). Dynamic cohorts: the live
    // materialized version with each member's distinct ids; the cursor pins that version
    // (409, details.reason version_gone, once a refresh replaced and dropped it).
    app.get(`${base}/:key/members`, auth.requireAdminProject, async (req, res) => {
      const q = parse(membersQuery, req.query, 'query');
      const c = await cohorts.get(req.adminProject!.id, keyOf(req));
      if (c.kind === 'static') {
        const rows = await members.list(req.adminProject!.id, c.key, decodeCursor(q.cursor), q.limit);
        res.json({ data: rows.map(memberBody), next_cursor: rows.length === q.limit ? encodeCursor(rows[rows.length - 1].distinctId) : null });
        return;
      }
      const p = await deps.members.page(c, q.cursor === undefined ? null : decodeMembersCursor(q.cursor), q.limit);
      res.json({ data: p.members.map(dynamicMemberBody), next_cursor: p.next && encodeMembersCursor(p.next), version: p.version });
    });

    // CSV of every member (distinct_id,person_id), streamed page by page.
    app.get(`${base}/:key/members/export`, auth.requireAdminProject, async (req, res) => {
      const c = await cohorts.get(req.adminProject!.id, keyOf(req));
      const chunks = deps.members.exportCsv(c);
      // The first chunk is read before the headers go out, so a cohort without members yet is a clean 409.
      const first = await chunks.next();
      const second = c.kind === 'dynamic' ? await chunks.next() : undefined;
      res.status(200).setHeader('Content-Type', 'text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="cohort-${c.key.replace(/[^A-Za-z0-9_.-]/g, '_')}.csv"`);
      try {
        for (const r of [first, second]) if (r && !r.done && !res.write(r.value)) await new Promise((ok) => res.once('drain', ok));
        for await (const chunk of chunks) if (!res.write(chunk)) await new Promise((ok) => res.once('drain', ok));
        res.end();
      } catch (err) {
        // Headers are gone: end the chunked body without its terminator so the client sees a broken transfer.
        req.log?.warn({ err, cohort: c.key }, 'cohort export failed mid-stream');
        res.destroy();
      }
    });

    app.post(`${base}/:key/members`, ...uploadBody, auth.requireAdminProject, async (req, res) => {
      res.json(await members.add(req.admin!, req.adminProject!.id, keyOf(req), upload(req)));
    });

    app.put(`${base}/:key/members`, ...uploadBody, auth.requireAdminProject, async (req, res) => {
      res.json(await members.replace(req.admin!, req.adminProject!.id, keyOf(req), upload(req)));
    });

    app.delete(`${base}/:key/members`, ...uploadBody, auth.requireAdminProject, async (req, res) => {
      res.json(await members.remove(req.admin!, req.adminProject!.id, keyOf(req), upload(req)));
    });

    // Runs one materialization now, in this request; 409 when another run holds the cohort.
    app.post(`${base}/:key/refresh`, auth.requireAdminProject, async (req, res) => {
      const { outcome, cohort } = await deps.refreshNow(req.admin!, req.adminProject!.id, keyOf(req));
      res.json({ outcome: outcomeBody(outcome), cohort: cohortBody(cohort) });
    });
  };
}
