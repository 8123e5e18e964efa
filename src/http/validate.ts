import type { z } from 'zod';
import { AppError, formatPath, type FieldIssue } from '../errors.js';

/** zod issues -> our `{ path, message }` list, paths like `rules[2].split[1].weight`. */
export function zodIssues(error: z.ZodError, prefix: ReadonlyArray<string | number> = []): FieldIssue[] {
  return error.issues.map((i) => ({ path: formatPath([...prefix, ...i.path]) || '(body)', message: i.message }));
}

/**
 * Parses `data` with `schema` or throws a 400 whose message names the first bad field
 * and whose details list every issue.
 */
export function parse<T extends z.ZodTypeAny>(schema: T, data: unknown, where = ''): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = zodIssues(result.error, where ? [where] : []);
  throw new AppError('invalid_request', `${issues[0].path}: ${issues[0].message}`, { issues });
}
