/** Cohorts of a project: kind, state, member count, freshness and errors. */
import { useState } from 'preact/hooks';
import { all, projectPath } from '../lib/api.js';
import { ago, time } from '../lib/format.js';
import { Link, seg } from '../lib/router.js';
import { useCanWrite } from '../lib/session.js';
import { useLoad } from '../lib/use-load.js';
import { ErrorBox } from '../components/error-box.js';
import { StateBadge } from '../components/state-badge.js';

export interface Cohort {
  key: string;
  name: string;
  description: string;
  kind: 'static' | 'dynamic';
  definition: unknown;
  state: string;
  definition_version: number;
  version: number;
  member_count: number;
  last_calculated_at: string | null;
  errors_calculating: number;
  last_error_at: string | null;
  last_error_code: string | null;
  last_error_message: string | null;
  refresh_interval_s: number | null;
  updated_at: string;
}

export function CohortsPage({ project }: { project: string }) {
  const canWrite = useCanWrite();
  const [archived, setArchived] = useState(false);
  const list = useLoad(() => all<Cohort>(`${projectPath(project, 'cohorts')}${archived ? '?include_archived=true' : ''}`), [project, archived]);
  return (
    <section>
      <div class="title-row">
        <h1>Cohorts</h1>
        {canWrite && <Link class="button primary" href={`/projects/${seg(project)}/cohorts/new`}>New cohort</Link>}
      </div>
      <label class="toggle"><input type="checkbox" checked={archived} onChange={(e) => setArchived((e.target as HTMLInputElement).checked)} /> Show archived</label>
      <ErrorBox error={list.error} />
      {list.data && (
        <table>
          <thead>
            <tr><th scope="col">key</th><th scope="col">kind</th><th scope="col">state</th><th scope="col">members</th><th scope="col">computed</th><th scope="col">errors</th></tr>
          </thead>
          <tbody>
            {list.data.map((c) => (
              <tr key={c.key}>
                <td><Link href={`/projects/${seg(project)}/cohorts/${seg(c.key)}`}>{c.key}</Link><div class="muted small-text">{c.name}</div></td>
                <td>{c.kind}</td>
                <td><StateBadge state={c.state} /></td>
                <td>{c.member_count}</td>
                <td title={time(c.last_calculated_at)}>{ago(c.last_calculated_at)}</td>
                <td>{c.errors_calculating ? <span class="issues" title={c.last_error_message ?? ''}>{c.errors_calculating} × {c.last_error_code}</span> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data?.length === 0 && <p class="muted">No cohorts yet.</p>}
    </section>
  );
}
