/**
 * The editor of one flag, config or survey: form and JSON views of one document, a
 * "who would change" preview, save with If-Match (409 shows the other version and the
 * diff), and the kill switch. `defKey` "new" creates one.
 */
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, all, api, projectPath, request } from '../lib/api.js';
import { time } from '../lib/format.js';
import { Link, navigate, seg } from '../lib/router.js';
import { useCanWrite } from '../lib/session.js';
import { ErrorBox, Issues } from '../components/error-box.js';
import { JsonField } from '../components/json-field.js';
import { FlagFields } from '../editor/flag-fields.js';
import { ConfigFields, SurveyFields } from '../editor/kind-fields.js';
import { RuleList } from '../editor/rule-list.js';
import { PreviewPanel } from '../editor/preview-panel.js';
import { ConflictPanel, type Conflict } from '../editor/conflict-panel.js';
import { variantNames, type Rule } from '../editor/rules-model.js';
import { PLURAL, stateOf, type DefinitionKind, type DefinitionView } from './definitions.js';

const BOOKKEEPING = ['key', 'version', 'created_at', 'updated_at'];
const documentOf = (v: Record<string, unknown>) => Object.fromEntries(Object.entries(v).filter(([k]) => !BOOKKEEPING.includes(k)));

const TEMPLATES: Record<DefinitionKind, Record<string, unknown>> = {
  flag: { enabled: false, rules: [] },
  config: { enabled: true, schema: { type: 'object' }, default: {}, rules: [] },
  survey: { name: 'New survey', enabled: false, questions: [{ id: 'q1', type: 'open', question: 'What could we do better?' }], rules: [] },
};

export function DefinitionPage({ project, kind, defKey }: { project: string; kind: DefinitionKind; defKey: string }) {
  const canWrite = useCanWrite();
  const isNew = defKey === 'new';
  const [key, setKey] = useState(isNew ? '' : defKey);
  const [doc, setDoc] = useState<Record<string, unknown> | null>(isNew ? TEMPLATES[kind] : null);
  const [saved, setSaved] = useState<DefinitionView | null>(null);
  const [version, setVersion] = useState<number | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tab, setTab] = useState<'form' | 'json'>('form');
  const [cohorts, setCohorts] = useState<string[]>([]);

  const load = async () => {
    try {
      const r = await request<DefinitionView>('GET', projectPath(project, PLURAL[kind], defKey));
      setSaved(r.data);
      setDoc(documentOf(r.data));
      setVersion(r.data.version);
      setLoadError(null);
    } catch (err) {
      setLoadError(err as ApiError);
    }
  };
  useEffect(() => {
    if (!isNew) void load();
    all<{ key: string }>(projectPath(project, 'cohorts')).then((cs) => setCohorts(cs.map((c) => c.key)), () => {});
  }, [project, kind, defKey]);

  if (loadError) return <ErrorBox error={loadError} />;
  if (!doc) return <p class="loading" role="status">Loading…</p>;

  const issues = saveError?.issues ?? [];
  const flagd = kind === 'flag' && ('state' in doc || 'defaultVariant' in doc);
  const readOnly = !canWrite;
  const changed = saved === null || JSON.stringify(documentOf(saved)) !== JSON.stringify(doc);

  const save = async () => {
    setNotice(null);
    setSaveError(null);
    try {
      const r = isNew
        ? await request<DefinitionView>('POST', projectPath(project, PLURAL[kind]), { body: { ...doc, key } })
        : await request<DefinitionView>('PUT', projectPath(project, PLURAL[kind], defKey), { body: doc, ifMatch: version ?? undefined });
      setSaved(r.data);
      setDoc(documentOf(r.data));
      setVersion(r.data.version);
      setNotice(`Saved version ${r.data.version}.`);
      if (isNew) navigate(`/projects/${seg(project)}/${PLURAL[kind]}/${seg(r.data.key)}`, { replace: true });
    } catch (err) {
      const e = err as ApiError;
      if (e.status === 409 && !isNew) {
        const theirs = await api.get<DefinitionView>(projectPath(project, PLURAL[kind], defKey));
        setConflict({ theirs: documentOf(theirs), theirVersion: theirs.version });
      } else setSaveError(e);
    }
  };
  const kill = async () => {
    if (!confirm(`Turn ${defKey} off for everyone now? It serves its off variant until enabled again.`)) return;
    try {
      const d = await api.post<DefinitionView>(projectPath(project, PLURAL[kind], defKey, 'kill'));
      setSaved(d);
      setDoc(documentOf(d));
      setVersion(d.version);
      setNotice(`Killed: version ${d.version} serves the off variant.`);
    } catch (err) {
      setSaveError(err as ApiError);
    }
  };

  return (
    <section class="editor">
      <p class="crumbs"><Link href={`/projects/${seg(project)}/${PLURAL[kind]}`}>{PLURAL[kind]}</Link> /</p>
      <div class="title-row">
        <h1>{isNew ? `New ${kind}` : defKey}</h1>
        {!isNew && <span class={`badge state-${stateOf(doc)}`}>{stateOf(doc)}</span>}
        {version !== null && <span class="muted">version {version}{saved ? `, changed ${time(saved.updated_at)}` : ''}</span>}
        {changed && !isNew && <span class="badge">unsaved changes</span>}
      </div>
      {isNew && (
        <div class="field">
          <label for="def-key">Key</label>
          <input id="def-key" required value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
          <Issues issues={issues} path="key" />
        </div>
      )}
      {conflict && (
        <ConflictPanel
          conflict={conflict}
          mine={doc}
          myVersion={version}
          onKeepMine={() => {
            setVersion(conflict.theirVersion);
            setConflict(null);
          }}
          onTakeTheirs={() => {
            setDoc(conflict.theirs);
            setVersion(conflict.theirVersion);
            setConflict(null);
          }}
        />
      )}
      <div class="row wrap">
        <label class="toggle">
          <input type="checkbox" checked={stateOf(doc) === 'on'} disabled={readOnly} onChange={(e) => {
            const on = (e.target as HTMLInputElement).checked;
            setDoc(flagd ? { ...doc, state: on ? 'ENABLED' : 'DISABLED' } : { ...doc, enabled: on });
          }} /> Enabled
        </label>
        {!isNew && canWrite && stateOf(saved ?? {}) === 'on' && <button type="button" class="danger" onClick={kill}>Kill switch: off now</button>}
      </div>
      <div class="tabs" role="tablist" aria-label="editor view">
        <button type="button" role="tab" id="tab-form" aria-selected={tab === 'form'} aria-controls="panel" onClick={() => setTab('form')} disabled={flagd}>Form</button>
        <button type="button" role="tab" id="tab-json" aria-selected={tab === 'json' || flagd} aria-controls="panel" onClick={() => setTab('json')}>JSON</button>
      </div>
      <div id="panel" role="tabpanel" aria-labelledby={tab === 'form' && !flagd ? 'tab-form' : 'tab-json'}>
        {tab === 'form' && !flagd ? (
          <>
            <div class="field">
              <label for="def-description">Description</label>
              <input id="def-description" value={String(doc.description ?? '')} readOnly={readOnly} onInput={(e) => {
                const v = (e.target as HTMLInputElement).value;
                const d = { ...doc };
                if (v) d.description = v;
                else delete d.description;
                setDoc(d);
              }} />
            </div>
            {kind === 'flag' && <FlagFields doc={doc} onChange={setDoc} issues={issues} readOnly={readOnly} />}
            {kind === 'config' && <ConfigFields doc={doc} onChange={setDoc} issues={issues} readOnly={readOnly} />}
            {kind === 'survey' && <SurveyFields doc={doc} onChange={setDoc} issues={issues} readOnly={readOnly} />}
            <RuleList rules={(doc.rules as Rule[]) ?? []} kind={kind} variants={variantNames(doc)} cohorts={cohorts} issues={issues} readOnly={readOnly} onChange={(rules) => setDoc({ ...doc, rules })} />
          </>
        ) : (
          <JsonField id="def-json" label={flagd ? 'Definition (flagd format: edit as JSON)' : 'Definition'} value={doc} rows={24} readOnly={readOnly} onChange={(v) => v && typeof v === 'object' && !Array.isArray(v) && setDoc(v as Record<string, unknown>)} issues={issues} path="" />
        )}
      </div>
      <ErrorBox error={saveError} title="Not saved" />
      {notice && <p class="notice" role="status">{notice}</p>}
      {kind !== 'survey' && <PreviewPanel key={version ?? 0} project={project} kind={kind} defKey={isNew ? key || 'new' : defKey} doc={doc} />}
      {canWrite && (
        <div class="actions sticky">
          <button type="button" class="primary" onClick={save} disabled={!changed || (isNew && !key)}>{isNew ? `Create ${kind}` : 'Save'}</button>
          {!isNew && changed && <button type="button" onClick={() => saved && setDoc(documentOf(saved))}>Revert</button>}
        </div>
      )}
    </section>
  );
}
