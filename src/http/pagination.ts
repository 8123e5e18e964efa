import { z } from 'zod';
import { parse } from './validate.js';

/** `?limit=1..500&cursor=<opaque>`; the cursor is the last id of the previous page. */
const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^\d+$/, 'must be a cursor returned by a previous page')
    .transform(Number)
    .optional(),
});

export type PageQuery = z.infer<typeof pageQuery>;

export const parsePage = (query: unknown): PageQuery => parse(pageQuery, query, 'query');

/** Wraps one page: `{ data, next_cursor }`; next_cursor is null on the last page. */
export function page<T>(rows: T[], limit: number, idOf: (row: T) => number) {
  return { data: rows, next_cursor: rows.length === limit ? String(idOf(rows[rows.length - 1])) : null };
}
