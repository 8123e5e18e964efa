/** One project: name, tier, its public token (copy) and its admin keys (create, revoke). */
import { useState } from 'preact/hooks';
import { type ApiError, api, projectPath } from '../lib/api.js';
import { time } from '../lib/format.js';
import { useCanWrite } from '../lib/session.js';
import { useLoad } from '../lib/use-load.js';
import { CopyButton } from '../components/copy-button.js';
import { ErrorBox } from '../components/error-box.js';
import { TIERS, type Project } from './projects.js';

interface AdminKey {
  id: number;
  name: string;
  prefix: string;
  project_ids: number[] | null;
  created_at: string;
  revoked_at: string | null;
}

export function ProjectPage({ project }: { project: string }) {
  const canWrite = useCanWrite();
  const p = useLoad(() => api.get<Project>(projectPath(project)), [project]);
  const keys = useLoad(() => api.get<{ data: AdminKey[] }>(projectPath(project, 'keys')).then((r) => r.data), [project]);
  const [keyName, setKeyName] = useState('');
  const [secret, setSecret] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const setTier = async (tier: string) => {
    try {
      p.set(await api.patch<Project>(projectPath(project), { tier }));
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const createKey = async (e: Event) => {
    e.preventDefault();
    try {
      const k = await api.post<AdminKey & { key: string }>(projectPath(project, 'keys'), { name: keyName });
      setSecret({ name: k.name, key: k.key });
      setKeyName('');
      keys.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const revoke = async (k: AdminKey) => {
    if (!confirm(`Revoke the key "${k.name}" (${k.prefix})? Anything using it stops working.`)) return;
    try {
      await api.del(projectPath(project, 'keys', String(k.id)));
      keys.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };

  return (
    <section>
      <ErrorBox error={p.error} />
      {p.data && (
        <>
          <h1>{p.data.name}</h1>
          <dl class="facts">
            <dt>Project id</dt>
            <dd>{p.data.id}</dd>
            <dt><label for="tier">Tier</label></dt>
            <dd>
              <select id="tier" value={p.data.tier} disabled={!canWrite} onChange={(e) => setTier((e.target as HTMLSelectElement).value)}>
                {TIERS.map((t) => <option key={t}>{t}</option>)}
              </select>
              <span class="hint"> sets how often cohorts refresh</span>
            </dd>
            <dt>Project token</dt>
            <dd>
              <code class="token" data-testid="project-token">{p.data.token}</code> <CopyButton text={p.data.token} label="Copy token" />
              <p class="hint">Public: SDKs send it with events and handshakes.</p>
            </dd>
            <dt>Created</dt>
            <dd>{time(p.data.created_at)}</dd>
          </dl>
        </>
      )}
      <h2>Admin keys</h2>
      <ErrorBox error={keys.error ?? error} />
      {secret && (
        <div class="card secret" role="status">
          <p>
            <strong>New key "{secret.name}".</strong> Copy it now: it is shown only once.
          </p>
          <code data-testid="new-key-secret">{secret.key}</code> <CopyButton text={secret.key} />
          <button type="button" class="small" onClick={() => setSecret(null)}>I have stored it</button>
        </div>
      )}
      {keys.data && (
        <table>
          <thead>
            <tr><th scope="col">name</th><th scope="col">prefix</th><th scope="col">projects</th><th scope="col">created</th><th scope="col">status</th>{canWrite && <th scope="col"><span class="sr-only">actions</span></th>}</tr>
          </thead>
          <tbody>
            {keys.data.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td><code>{k.prefix}</code></td>
                <td>{k.project_ids === null ? 'all' : k.project_ids.join(', ')}</td>
                <td>{time(k.created_at)}</td>
                <td>{k.revoked_at ? `revoked ${time(k.revoked_at)}` : 'active'}</td>
                {canWrite && <td>{!k.revoked_at && <button type="button" class="small danger" onClick={() => revoke(k)}>Revoke</button>}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canWrite && (
        <form class="inline-form" onSubmit={createKey}>
          <div class="field">
            <label for="key-name">New key name</label>
            <input id="key-name" required value={keyName} onInput={(e) => setKeyName((e.target as HTMLInputElement).value)} />
          </div>
          <button type="submit">Create key</button>
        </form>
      )}
    </section>
  );
}
