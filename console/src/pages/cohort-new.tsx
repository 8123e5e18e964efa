/** Creates a static cohort (an uploaded list) or a dynamic one (built from a definition). */
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, all, api, projectPath } from '../lib/api.js';
import { Link, navigate, seg } from '../lib/router.js';
import { ErrorBox, Issues } from '../components/error-box.js';
import { DefinitionEditor } from '../components/definition-editor.js';
import type { Cohort } from './cohorts.js';

const START = { type: 'AND', values: [{ type: 'behavioral', event: '', window: { last: '30d' } }] };

export function CohortNewPage({ project }: { project: string }) {
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'static' | 'dynamic'>('dynamic');
  const [definition, setDefinition] = useState<unknown>(START);
  const [cohorts, setCohorts] = useState<string[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    all<Cohort>(projectPath(project, 'cohorts')).then((cs) => setCohorts(cs.map((c) => c.key)), () => {});
  }, [project]);

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const c = await api.post<Cohort>(projectPath(project, 'cohorts'), { key, name: name || key, kind, ...(kind === 'dynamic' ? { definition } : {}) });
      navigate(`/projects/${seg(project)}/cohorts/${seg(c.key)}`);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const issues = error?.issues ?? [];
  return (
    <section>
      <p class="crumbs"><Link href={`/projects/${seg(project)}/cohorts`}>cohorts</Link> /</p>
      <h1>New cohort</h1>
      <form onSubmit={create}>
        <div class="row wrap">
          <div class="field">
            <label for="cohort-key">Key</label>
            <input id="cohort-key" required value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
            <Issues issues={issues} path="key" />
          </div>
          <div class="field grow">
            <label for="cohort-name">Name</label>
            <input id="cohort-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          </div>
        </div>
        <fieldset>
          <legend>Kind</legend>
          <label><input type="radio" name="kind" checked={kind === 'dynamic'} onChange={() => setKind('dynamic')} /> dynamic: members computed from a definition</label>
          <label><input type="radio" name="kind" checked={kind === 'static'} onChange={() => setKind('static')} /> static: an uploaded list of distinct_ids (pinning)</label>
        </fieldset>
        {kind === 'dynamic' && <DefinitionEditor value={definition} onChange={setDefinition} cohorts={cohorts} issues={issues} />}
        <ErrorBox error={error} title="Not created" />
        <button type="submit" class="primary">Create cohort</button>
      </form>
    </section>
  );
}
