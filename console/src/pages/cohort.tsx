/**
 * One cohort: state and freshness, lifecycle actions (pause, resume, archive, restore,
 * refresh now), the definition (builder) or the member list (static), and its history.
 */
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, all, api, projectPath, request } from '../lib/api.js';
import { ago, time } from '../lib/format.js';
import { Link, seg } from '../lib/router.js';
import { useCanWrite } from '../lib/session.js';
import { ErrorBox } from '../components/error-box.js';
import { StateBadge } from '../components/state-badge.js';
import { DefinitionEditor } from '../components/definition-editor.js';
import { StaticMembers } from '../components/static-members.js';
import { CohortHistory } from '../components/cohort-history.js';
import { JsonDiffView } from '../components/json-diff-view.js';
import type { Cohort } from './cohorts.js';

/** The lifecycle table (docs/refresher.md): what an admin may do from each state. */
const ACTIONS: Record<string, string[]> = { building: ['archive'], active: ['pause', 'archive'], paused: ['resume', 'archive'], archived: ['restore'] };
const DONE: Record<string, string> = { pause: 'Paused: membership is frozen.', resume: 'Resumed: a refresh is due now.', archive: 'Archived: rules that use it are skipped.', restore: 'Restored: it rebuilds now.' };

export function CohortPage({ project, cohortKey }: { project: string; cohortKey: string }) {
  const canWrite = useCanWrite();
  const [c, setC] = useState<Cohort | null>(null);
  const [definition, setDefinition] = useState<unknown>(null);
  const [version, setVersion] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [conflict, setConflict] = useState<Cohort | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [cohorts, setCohorts] = useState<string[]>([]);
  const [tick, setTick] = useState(0);
  const path = projectPath(project, 'cohorts', cohortKey);

  const load = async (resetDefinition = true) => {
    try {
      const r = await request<Cohort>('GET', path);
      setC(r.data);
      if (resetDefinition) {
        setDefinition(r.data.definition);
        setVersion(r.data.definition_version);
      }
      setError(null);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  useEffect(() => {
    void load();
    all<Cohort>(projectPath(project, 'cohorts')).then((cs) => setCohorts(cs.map((x) => x.key).filter((k) => k !== cohortKey)), () => {});
  }, [project, cohortKey]);

  if (error) return <ErrorBox error={error} />;
  if (!c) return <p class="loading" role="status">Loading…</p>;

  const act = async (action: string) => {
    setBusy(true);
    setNotice(null);
    setSaveError(null);
    try {
      if (action === 'refresh') {
        const r = await api.post<{ outcome: { status: string; member_count?: number; duration_ms?: number; code?: string; message?: string } }>(`${path}/refresh`);
        const o = r.outcome;
        setNotice(o.status === 'ok' ? `Refreshed: ${o.member_count} members in ${o.duration_ms} ms.` : `Refresh ${o.status}: ${o.code ?? ''} ${o.message ?? ''}`);
      } else {
        await api.post(`${path}/${action}`);
        setNotice(DONE[action]);
      }
      await load(false);
      setTick((t) => t + 1);
    } catch (err) {
      setSaveError(err as ApiError);
    }
    setBusy(false);
  };
  const save = async () => {
    setSaveError(null);
    setNotice(null);
    try {
      const r = await request<Cohort>('PATCH', path, { body: { definition }, ifMatch: version ?? undefined });
      setC(r.data);
      setVersion(r.data.definition_version);
      setNotice('Saved. The new definition is due for a refresh now; the old members stay live until it is computed.');
    } catch (err) {
      const e = err as ApiError;
      if (e.status === 409 && (e.details as { definition_version?: number } | undefined)?.definition_version !== undefined) {
        setConflict((await request<Cohort>('GET', path)).data);
      } else setSaveError(e);
    }
  };
  const changed = JSON.stringify(definition) !== JSON.stringify(c.definition);
  const refreshable = c.state === 'building' || c.state === 'active';

  return (
    <section>
      <p class="crumbs"><Link href={`/projects/${seg(project)}/cohorts`}>cohorts</Link> /</p>
      <div class="title-row">
        <h1>{c.name}</h1>
        <StateBadge state={c.state} />
      </div>
      <dl class="facts">
        <dt>Key</dt><dd><code>{c.key}</code> ({c.kind})</dd>
        <dt>Members</dt><dd data-testid="member-count">{c.member_count}</dd>
        <dt>Computed</dt><dd title={time(c.last_calculated_at)}>{ago(c.last_calculated_at)} {c.version ? `(version ${c.version})` : ''}</dd>
        <dt>Errors</dt><dd>{c.errors_calculating ? <span class="issues">{c.errors_calculating} in a row; last {c.last_error_code} at {time(c.last_error_at)}: {c.last_error_message}</span> : 'none'}</dd>
      </dl>
      {canWrite && (
        <div class="row wrap actions">
          {refreshable && <button type="button" class="primary" disabled={busy} onClick={() => act('refresh')}>Refresh now</button>}
          {ACTIONS[c.state]?.map((a) => (
            <button type="button" key={a} disabled={busy} class={a === 'archive' ? 'danger' : ''} onClick={() => (a !== 'archive' || confirm(`Archive ${c.key}? Rules that use it are skipped.`)) && act(a)}>
              {a[0].toUpperCase() + a.slice(1)}
            </button>
          ))}
        </div>
      )}
      {notice && <p class="notice" role="status" data-testid="cohort-notice">{notice}</p>}
      <ErrorBox error={saveError} title="Refused" />
      {c.kind === 'dynamic' && (
        <section aria-labelledby="definition-title">
          <h2 id="definition-title">Definition</h2>
          {conflict && (
            <div class="card conflict" role="alert">
              <h3>Changed by someone else</h3>
              <p>Version {conflict.definition_version} was saved while you edited version {version}.</p>
              <JsonDiffView before={conflict.definition} after={definition} beforeLabel="saved" afterLabel="your edit" />
              <button type="button" onClick={() => { setVersion(conflict.definition_version); setConflict(null); }}>Keep my edit over it</button>{' '}
              <button type="button" onClick={() => { setDefinition(conflict.definition); setVersion(conflict.definition_version); setC(conflict); setConflict(null); }}>Load the saved one</button>
            </div>
          )}
          <DefinitionEditor value={definition} onChange={setDefinition} cohorts={cohorts} issues={saveError?.issues ?? []} />
          {canWrite && <button type="button" class="primary" disabled={!changed} onClick={save}>Save definition</button>}
        </section>
      )}
      {c.kind === 'static' && <StaticMembers project={project} cohortKey={cohortKey} onApplied={() => { void load(false); setTick((t) => t + 1); }} />}
      <CohortHistory project={project} cohortKey={cohortKey} refreshKey={tick} />
    </section>
  );
}
