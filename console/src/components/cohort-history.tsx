/** A cohort's refresh runs (GET .../calculations): a table, and charts of member count and duration. */
import { api, projectPath } from '../lib/api.js';
import { time } from '../lib/format.js';
import { useLoad } from '../lib/use-load.js';
import { ErrorBox } from './error-box.js';
import { LineChart } from './line-chart.js';

interface Calculation {
  id: number;
  version: number;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  member_count: number | null;
  error_code: string | null;
  error_message: string | null;
}

export function CohortHistory({ project, cohortKey, refreshKey }: { project: string; cohortKey: string; refreshKey: number }) {
  const runs = useLoad(() => api.get<{ data: Calculation[] }>(`${projectPath(project, 'cohorts', cohortKey, 'calculations')}?limit=50`).then((r) => r.data), [project, cohortKey, refreshKey]);
  const done = (runs.data ?? []).filter((r) => r.finished_at !== null && r.error_code === null).reverse();
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Calculation history</h2>
      <ErrorBox error={runs.error} />
      <div class="row wrap">
        <LineChart label="members per run" points={done.map((r) => ({ t: Date.parse(r.started_at), v: r.member_count ?? 0 }))} />
        <LineChart label="duration per run (ms)" unit=" ms" points={done.map((r) => ({ t: Date.parse(r.started_at), v: r.duration_ms ?? 0 }))} />
      </div>
      {runs.data && runs.data.length > 0 && (
        <table data-testid="calculations">
          <thead><tr><th scope="col">started</th><th scope="col">version</th><th scope="col">members</th><th scope="col">duration</th><th scope="col">result</th></tr></thead>
          <tbody>
            {runs.data.map((r) => (
              <tr key={r.id}>
                <td>{time(r.started_at)}</td>
                <td>{r.version}</td>
                <td>{r.member_count ?? '—'}</td>
                <td>{r.duration_ms === null ? '—' : `${r.duration_ms} ms`}</td>
                <td>{r.error_code ? <span class="issues" title={r.error_message ?? ''}>{r.error_code}</span> : r.finished_at ? 'ok' : 'running'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
