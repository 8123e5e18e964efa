/**
 * "Who would change": the edited definition evaluated against the saved one over a sample
 * of known persons (POST .../:key/preview), before saving.
 */
import { useState } from 'preact/hooks';
import { type ApiError, api, projectPath } from '../lib/api.js';
import { short } from '../lib/format.js';
import { Link, seg } from '../lib/router.js';
import { ErrorBox } from '../components/error-box.js';

interface Served {
  variant: string | null;
  value: unknown;
  reason: string;
  rule_id?: string;
}

export interface FlipPreview {
  current_version: number | null;
  persons_total: number;
  sampled: number;
  evaluated: number;
  changed: number;
  truncated: boolean;
  elapsed_ms: number;
  transitions: Array<{ from: string | null; to: string | null; count: number }>;
  examples: Array<{ distinct_id: string; person_id: number; before: Served | null; after: Served }>;
}

const servedText = (s: Served | null) => (s === null ? 'not defined yet' : `${s.variant ?? short(s.value)}${s.rule_id ? ` (rule ${s.rule_id})` : ` (${s.reason.toLowerCase()})`}`);

export function PreviewPanel({ project, kind, defKey, doc }: { project: string; kind: 'flag' | 'config'; defKey: string; doc: Record<string, unknown> }) {
  const [result, setResult] = useState<FlipPreview | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await api.post<FlipPreview>(`${projectPath(project, `${kind}s`, defKey, 'preview')}?sample=2000&examples=20`, doc));
    } catch (err) {
      setResult(null);
      setError(err as ApiError);
    }
    setBusy(false);
  };
  return (
    <section class="card" aria-labelledby="preview-title">
      <h2 id="preview-title">Who would change</h2>
      <p class="hint">Evaluates your edit against the saved version for the most recently seen persons, with their current cohorts. Nothing is saved.</p>
      <button type="button" onClick={run} disabled={busy}>{busy ? 'Evaluating…' : 'Preview who changes'}</button>
      <ErrorBox error={error} title="Cannot preview" />
      {result && (
        <div class="preview" data-testid="preview-result" aria-live="polite">
          <p class="big">
            <strong data-testid="preview-changed">{result.changed}</strong> of {result.evaluated} sampled persons would change
            <span class="muted"> ({result.persons_total} known; {result.elapsed_ms} ms{result.truncated ? '; stopped at the time limit' : ''})</span>
          </p>
          {result.transitions.length > 0 && (
            <table>
              <caption>Changes</caption>
              <thead><tr><th scope="col">from</th><th scope="col">to</th><th scope="col">persons</th></tr></thead>
              <tbody>
                {result.transitions.map((t) => (
                  <tr key={`${t.from}-${t.to}`}><td>{t.from ?? '—'}</td><td>{t.to ?? '—'}</td><td>{t.count}</td></tr>
                ))}
              </tbody>
            </table>
          )}
          {result.examples.length > 0 && (
            <table>
              <caption>Sample of persons who change</caption>
              <thead><tr><th scope="col">distinct_id</th><th scope="col">now</th><th scope="col">after saving</th></tr></thead>
              <tbody>
                {result.examples.map((e) => (
                  <tr key={e.person_id}>
                    <td><Link href={`/projects/${seg(project)}/persons/${seg(e.distinct_id)}`}>{e.distinct_id}</Link></td>
                    <td>{servedText(e.before)}</td>
                    <td>{servedText(e.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
