import { z } from 'zod';
import { parse } from './validate.js';

/** An id cursor: the decimal id of the last row of the previous page (ids stay below 2^53). */
export const idCursor = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a cursor returned by a previous page')
  .transform(Number);

/** A database id in a path or query: a positive integer PostgreSQL's bigint and JavaScript both hold exactly. */
export const idParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A definition or cohort version (an `If-Match` value): a positive integer of PostgreSQL's `integer`. */
export const versionParam = z.coerce.number().int().min(1).max(2_147_483_647);

/** `?limit=1..500&cursor=<opaque>`; the cursor is the last id of the previous page. */
const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: idCursor.optional(),
});

export type PageQuery = z.infer<typeof pageQuery>;

export const parsePage = (query: unknown): PageQuery => parse(pageQuery, query, 'query');

/** Wraps one page: `{ data, next_cursor }`; next_cursor is null on the last page. */
export function page<T>(rows: T[], limit: number, idOf: (row: T) => number) {
  return { data: rows, next_cursor: rows.length === limit ? String(idOf(rows[rows.length - 1])) : null };
}
