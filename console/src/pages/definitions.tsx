/** Flags, configs or surveys of a project: search, state, version, last change. */
import { useState } from 'preact/hooks';
import { all, projectPath } from '../lib/api.js';
import { ago, time } from '../lib/format.js';
import { Link, seg } from '../lib/router.js';
import { useCanWrite } from '../lib/session.js';
import { useLoad } from '../lib/use-load.js';
import { ErrorBox } from '../components/error-box.js';

export type DefinitionKind = 'flag' | 'config' | 'survey';
export const PLURAL: Record<DefinitionKind, string> = { flag: 'flags', config: 'configs', survey: 'surveys' };

export type DefinitionView = Record<string, unknown> & { key: string; version: number; created_at: string; updated_at: string };

/** "on", "off" (kill switch) or "flagd: ENABLED". */
export function stateOf(d: Record<string, unknown>): string {
  if (typeof d.state === 'string') return d.state === 'DISABLED' ? 'off' : 'on';
  return d.enabled === false ? 'off' : 'on';
}

export function DefinitionsPage({ project, kind }: { project: string; kind: DefinitionKind }) {
  const canWrite = useCanWrite();
  const list = useLoad(() => all<DefinitionView>(projectPath(project, PLURAL[kind])), [project, kind]);
  const [q, setQ] = useState('');
  const needle = q.trim().toLowerCase();
  const rows = (list.data ?? []).filter((d) => !needle || d.key.toLowerCase().includes(needle) || String(d.description ?? d.name ?? '').toLowerCase().includes(needle));
  const base = `/projects/${seg(project)}/${PLURAL[kind]}`;
  return (
    <section>
      <div class="title-row">
        <h1>{PLURAL[kind][0].toUpperCase() + PLURAL[kind].slice(1)}</h1>
        {canWrite && <Link class="button primary" href={`${base}/new`}>New {kind}</Link>}
      </div>
      <div class="field search">
        <label for="search">Search by key or description</label>
        <input id="search" type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      </div>
      <ErrorBox error={list.error} />
      {list.data && (
        <table>
          <thead>
            <tr><th scope="col">key</th><th scope="col">state</th><th scope="col">rules</th><th scope="col">version</th><th scope="col">last change</th></tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.key}>
                <td>
                  <Link href={`${base}/${seg(d.key)}`}>{d.key}</Link>
                  {(d.description || d.name) && <div class="muted small-text">{String(d.description ?? d.name)}</div>}
                </td>
                <td><span class={`badge state-${stateOf(d)}`}>{stateOf(d)}</span></td>
                <td>{Array.isArray(d.rules) ? d.rules.length : d.targeting ? 'targeting' : 0}</td>
                <td>{d.version}</td>
                <td title={time(d.updated_at)}>{ago(d.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data && rows.length === 0 && <p class="muted">{list.data.length ? 'Nothing matches the search.' : `No ${PLURAL[kind]} yet.`}</p>}
    </section>
  );
}
