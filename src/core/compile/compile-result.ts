/**
 * The result of compiling a definition: the compiled form, or every problem with its path
 * (`rules[2].serve.split[1].weight`), so `rules/` validation can list them all at once.
 */
import type { ZodError } from 'zod';
import { formatPath, type CompileIssue } from './paths.js';

/** Compiled definition, or the list of problems that prevented it. */
export type CompileResult<T> = { ok: true; def: T } | { ok: false; errors: CompileIssue[] };

/** Maps zod issues to paths in the shared bracket style. */
export function zodIssues(error: ZodError): CompileIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}
