/** The audit log: filter by entity kind, key and who; each entry's before/after as a diff. */
import { useState } from 'preact/hooks';
import { api, projectPath } from '../lib/api.js';
import { time } from '../lib/format.js';
import { useLoad } from '../lib/use-load.js';
import { ErrorBox } from '../components/error-box.js';
import { JsonDiffView } from '../components/json-diff-view.js';

interface Entry {
  id: number;
  actor: string;
  action: string;
  entity_kind: string;
  entity_key: string | null;
  before: unknown;
  after: unknown;
  created_at: string;
}

const KINDS = ['', 'flag', 'config', 'survey', 'cohort', 'project', 'admin_key', 'person'];

export function AuditPage({ project }: { project: string }) {
  const [kind, setKind] = useState('');
  const [key, setKey] = useState('');
  const [actor, setActor] = useState('');
  const [applied, setApplied] = useState({ kind: '', key: '', actor: '' });
  const [pages, setPages] = useState<Entry[]>([]);
  const [open, setOpen] = useState<number | null>(null);
  const query = (cursor?: string) => {
    const q = new URLSearchParams({ limit: '50' });
    if (applied.kind) q.set('entity_kind', applied.kind);
    if (applied.key) q.set('entity_key', applied.key);
    if (applied.actor) q.set('actor', applied.actor);
    if (cursor) q.set('cursor', cursor);
    return `${projectPath(project, 'audit')}?${q}`;
  };
  const first = useLoad(() => api.get<{ data: Entry[]; next_cursor: string | null }>(query()), [project, applied]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const cursor = next === undefined ? first.data?.next_cursor ?? null : next;
  const rows = [...(first.data?.data ?? []), ...pages];
  const more = async () => {
    const r = await api.get<{ data: Entry[]; next_cursor: string | null }>(query(cursor!));
    setPages([...pages, ...r.data]);
    setNext(r.next_cursor);
  };
  return (
    <section>
      <h1>Audit log</h1>
      <form class="inline-form" onSubmit={(e) => {
        e.preventDefault();
        setPages([]);
        setNext(undefined);
        setApplied({ kind, key: key.trim(), actor: actor.trim() });
      }}>
        <div class="field">
          <label for="audit-kind">Entity</label>
          <select id="audit-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            {KINDS.map((k) => <option key={k} value={k}>{k || 'any'}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="audit-key">Key</label>
          <input id="audit-key" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="audit-actor">Who</label>
          <input id="audit-actor" placeholder="admin_key:1:sba_abcd" value={actor} onInput={(e) => setActor((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit">Filter</button>
      </form>
      <ErrorBox error={first.error} />
      <table data-testid="audit">
        <thead><tr><th scope="col">when</th><th scope="col">who</th><th scope="col">action</th><th scope="col">entity</th><th scope="col"><span class="sr-only">details</span></th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <>
              <tr key={r.id}>
                <td>{time(r.created_at)}</td>
                <td><button type="button" class="link" title="show only this actor" onClick={() => { setActor(r.actor); setPages([]); setNext(undefined); setApplied({ kind, key, actor: r.actor }); }}>{r.actor}</button></td>
                <td>{r.action}</td>
                <td>{r.entity_kind} <code>{r.entity_key ?? ''}</code></td>
                <td><button type="button" class="small" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>{open === r.id ? 'Hide' : 'Changes'}</button></td>
              </tr>
              {open === r.id && (
                <tr key={`${r.id}-d`}><td colSpan={5}><JsonDiffView before={r.before ?? undefined} after={r.after ?? undefined} /></td></tr>
              )}
            </>
          ))}
        </tbody>
      </table>
      {first.data && rows.length === 0 && <p class="muted">No entries.</p>}
      {cursor && <button type="button" onClick={more}>Older entries</button>}
    </section>
  );
}
