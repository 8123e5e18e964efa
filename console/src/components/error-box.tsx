/** An API error as a message with the server's field issues listed. */
import type { ApiError, FieldIssue } from '../lib/api.js';

export function ErrorBox({ error, title }: { error: ApiError | null; title?: string }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>{title ?? (error.status === 404 ? 'Not found' : 'Something went wrong')}</strong>: {error.message}
      {error.issues.length > 1 && (
        <ul>
          {error.issues.map((i) => (
            <li key={i.path + i.message}><code>{i.path}</code> {i.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Issues at `path` or below it (`rules[1].condition` shows `rules[1].condition.and[0]`). */
export function issuesAt(issues: FieldIssue[], path: string): FieldIssue[] {
  return issues.filter((i) => i.path === path || i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`));
}

/** The server's messages for one field, next to its input. */
export function Issues({ issues, path, id }: { issues: FieldIssue[]; path: string; id?: string }) {
  const mine = issuesAt(issues, path);
  if (mine.length === 0) return null;
  return (
    <ul class="issues" id={id} role="alert">
      {mine.map((i) => (
        <li key={i.path + i.message}>{i.path !== path && <code>{i.path.slice(path.length).replace(/^\./, '')}</code>} {i.message}</li>
      ))}
    </ul>
  );
}
