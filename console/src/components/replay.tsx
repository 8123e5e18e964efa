/**
 * "What did this person get at …?": replays the handshake at a past instant
 * (`GET …/persons/:distinct_id/decisions?at=`, docs/history.md) and shows the decisions with
 * their traces, the cohorts of that instant and whether the replay is exact.
 */
import { useState } from 'preact/hooks';
import { ApiError, api, projectPath } from '../lib/api.js';
import { ErrorBox } from './error-box.js';
import { DecisionRow, type Decision } from './decision-row.js';

interface ReplayAnswer {
  at: string;
  exact: boolean;
  inexact: Array<{ code: string; message: string; cohorts?: string[] }>;
  person: { id: number; properties: Record<string, unknown> } | null;
  flags: Record<string, Decision>;
  configs: Record<string, Decision>;
  surveys: Array<Decision & { key: string }>;
  traces: { flags: Record<string, Decision['trace']>; configs: Record<string, Decision['trace']>; surveys: Record<string, Decision['trace']> };
  inputs: { cohorts: Array<{ key: string; state: string; version: number; member: boolean | null }> };
}

/** A datetime-local value (the browser's zone) for `ms`. */
const localInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
};

export function Replay({ project, distinctId }: { project: string; distinctId: string }) {
  const [at, setAt] = useState(localInput(Date.now() - 3_600_000));
  const [answer, setAnswer] = useState<ReplayAnswer | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const iso = new Date(at).toISOString();
      setAnswer(await api.get<ReplayAnswer>(`${projectPath(project, 'persons', distinctId, 'decisions')}?at=${encodeURIComponent(iso)}`));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'network', String(err)));
    } finally {
      setBusy(false);
    }
  }
  const withTrace = (d: Decision, trace: Decision['trace']) => ({ ...d, trace });
  return (
    <section aria-labelledby="replay-title">
      <h2 id="replay-title">Decisions at a past time</h2>
      <form class="inline-form" onSubmit={run}>
        <div class="field">
          <label for="replay-at">At (your time zone)</label>
          <input id="replay-at" type="datetime-local" step="1" value={at} onInput={(e) => setAt((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit" disabled={busy}>Replay</button>
      </form>
      <ErrorBox error={error} />
      {answer && (
        <div data-testid="replay">
          <p data-testid="replay-exact">
            {answer.exact ? 'Exact: every input of that instant is recorded.' : 'Not exact:'}
          </p>
          {answer.inexact.length > 0 && (
            <ul class="issues">
              {answer.inexact.map((i) => <li key={i.code}>{i.message}{i.cohorts ? ` (${i.cohorts.join(', ')})` : ''}</li>)}
            </ul>
          )}
          <p class="muted">
            {answer.person ? `Person #${answer.person.id} then.` : 'No person held this id then.'}{' '}
            Cohorts then: {answer.inputs.cohorts.filter((c) => c.member).map((c) => c.key).join(', ') || 'none'}.
          </p>
          <table class="decisions" data-testid="replay-decisions">
            <thead><tr><th scope="col">key</th><th scope="col">value</th><th scope="col">reason</th><th scope="col">why</th></tr></thead>
            <tbody>
              {Object.values(answer.flags).map((d) => <DecisionRow key={`f-${d.key}`} kind="flag" d={withTrace(d, answer.traces.flags[d.key])} testId="replay-value-" />)}
              {Object.values(answer.configs).map((d) => <DecisionRow key={`c-${d.key}`} kind="config" d={withTrace(d, answer.traces.configs[d.key])} testId="replay-value-" />)}
              {answer.surveys.map((d) => <DecisionRow key={`s-${d.key}`} kind="survey" d={{ ...withTrace(d, answer.traces.surveys[d.key]), value: 'eligible' }} testId="replay-value-" />)}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
