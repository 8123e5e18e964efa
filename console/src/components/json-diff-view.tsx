/** Before/after of a JSON document as the changed paths (lib/json-diff.ts). */
import { diffJson } from '../lib/json-diff.js';
import { short } from '../lib/format.js';

export function JsonDiffView({ before, after, beforeLabel = 'before', afterLabel = 'after' }: { before: unknown; after: unknown; beforeLabel?: string; afterLabel?: string }) {
  const entries = diffJson(before, after);
  if (entries.length === 0) return <p class="muted">No differences.</p>;
  return (
    <table class="diff">
      <thead>
        <tr><th scope="col">field</th><th scope="col">{beforeLabel}</th><th scope="col">{afterLabel}</th></tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.path} class={e.kind}>
            <td><code>{e.path}</code></td>
            <td class="del">{e.kind === 'added' ? '—' : <code>{short(e.before)}</code>}</td>
            <td class="ins">{e.kind === 'removed' ? '—' : <code>{short(e.after)}</code>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
