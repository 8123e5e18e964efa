/** Projects the key reaches; a key for every project can create one. */
import { useState } from 'preact/hooks';
import { type ApiError, all, api } from '../lib/api.js';
import { time } from '../lib/format.js';
import { Link, navigate, seg } from '../lib/router.js';
import { useSession } from '../lib/session.js';
import { useLoad } from '../lib/use-load.js';
import { ErrorBox } from '../components/error-box.js';

export interface Project {
  id: number;
  name: string;
  tier: string;
  token: string;
  created_at: string;
}

export const TIERS = ['hobby', 'pro', 'growth', 'enterprise'];

export function ProjectsPage() {
  const me = useSession();
  const list = useLoad(() => all<Project>('/v1/projects'), []);
  const [name, setName] = useState('');
  const [tier, setTier] = useState('pro');
  const [error, setError] = useState<ApiError | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const p = await api.post<Project>('/v1/projects', { name, tier });
      navigate(`/projects/${seg(p.id)}`);
    } catch (err) {
      setError(err as ApiError);
    }
  };

  return (
    <section>
      <h1>Projects</h1>
      <ErrorBox error={list.error} />
      {list.data && (
        <table>
          <thead>
            <tr><th scope="col">id</th><th scope="col">name</th><th scope="col">tier</th><th scope="col">created</th></tr>
          </thead>
          <tbody>
            {list.data.map((p) => (
              <tr key={p.id}>
                <td>{p.id}</td>
                <td><Link href={`/projects/${seg(p.id)}`}>{p.name}</Link></td>
                <td>{p.tier}</td>
                <td>{time(p.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.data?.length === 0 && <p class="muted">No projects yet.</p>}
      {me.can.create_projects && (
        <form class="card inline-form" onSubmit={create}>
          <h2>New project</h2>
          <div class="field">
            <label for="project-name">Name</label>
            <input id="project-name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </div>
          <div class="field">
            <label for="project-tier">Tier</label>
            <select id="project-tier" value={tier} onChange={(e) => setTier((e.target as HTMLSelectElement).value)}>
              {TIERS.map((t) => <option key={t}>{t}</option>)}
            </select>
          </div>
          <button type="submit" class="primary">Create project</button>
          <ErrorBox error={error} />
        </form>
      )}
    </section>
  );
}
