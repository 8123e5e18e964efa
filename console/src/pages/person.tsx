/**
 * Person lookup by any distinct_id: properties, distinct ids, cohorts with freshness, every
 * decision with its trace ("why this value", "why not the rule above"), past memberships, the
 * decisions at a past time (replay) and last events.
 */
import { useState } from 'preact/hooks';
import { api, projectPath } from '../lib/api.js';
import { ago, short, time } from '../lib/format.js';
import { navigate, seg } from '../lib/router.js';
import { useLoad } from '../lib/use-load.js';
import { ErrorBox } from '../components/error-box.js';
import { StateBadge } from '../components/state-badge.js';
import { DecisionRow, type Decision } from '../components/decision-row.js';
import { Replay } from '../components/replay.js';

interface PersonRead {
  person: { id: number; bucketing_key: string; properties: Record<string, unknown>; identified: boolean; first_seen: string | null; last_seen: string | null; event_count: number };
  distinct_ids: string[];
  cohorts: Array<{ key: string; name: string; kind: string; state: string; version: number; as_of: string | null; entered_at?: string | null }>;
  cohort_history?: Array<{ cohort: string; entered_at: string; entered_via: string; left_at: string | null; left_via: string | null }>;
  decisions: {
    flags: Record<string, Decision>;
    configs: Record<string, Decision>;
    surveys: Array<Decision & { key: string }>;
    ineligible_surveys?: Array<Decision & { key: string; ineligible_because?: string }>;
    degraded: boolean;
  };
}
interface Event {
  id: number;
  event: string;
  distinct_id: string;
  time: string;
  properties: Record<string, unknown>;
}

function Lookup({ project, initial }: { project: string; initial?: string }) {
  const [id, setId] = useState(initial ?? '');
  return (
    <form class="inline-form" role="search" onSubmit={(e) => {
      e.preventDefault();
      if (id.trim()) navigate(`/projects/${seg(project)}/persons/${seg(id.trim())}`);
    }}>
      <div class="field">
        <label for="lookup">Any distinct_id of the person</label>
        <input id="lookup" value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} />
      </div>
      <button type="submit" class="primary">Look up</button>
    </form>
  );
}

export function PersonPage({ project, distinctId }: { project: string; distinctId?: string }) {
  const read = useLoad(() => (distinctId ? api.get<PersonRead>(`${projectPath(project, 'persons', distinctId)}?explain=1`) : Promise.resolve(null)), [project, distinctId]);
  const events = useLoad(() => (distinctId ? api.get<{ data: Event[] }>(`${projectPath(project, 'persons', distinctId, 'events')}?limit=20`).then((r) => r.data) : Promise.resolve([])), [project, distinctId]);
  const p = read.data;
  return (
    <section>
      <h1>{distinctId ? `Person ${distinctId}` : 'Person lookup'}</h1>
      <Lookup project={project} initial={distinctId} />
      <ErrorBox error={read.error} />
      {p && (
        <>
          <div class="row wrap">
            <button type="button" class="small" onClick={() => { read.reload(); events.reload(); }}>Reload</button>
            {p.decisions.degraded && <span class="issues">Redis is unavailable: decisions are defaults or last known.</span>}
          </div>
          <div class="columns">
            <section aria-labelledby="props-title">
              <h2 id="props-title">Properties</h2>
              <dl class="facts">
                <dt>Person</dt><dd>#{p.person.id} {p.person.identified ? '(identified)' : '(anonymous)'}</dd>
                <dt>Bucketing key</dt><dd><code>{p.person.bucketing_key}</code></dd>
                <dt>Distinct ids</dt><dd>{p.distinct_ids.map((d) => <code key={d} class="chip">{d}</code>)}</dd>
                <dt>Seen</dt><dd>{time(p.person.first_seen)} – {time(p.person.last_seen)}, {p.person.event_count} events</dd>
                {Object.entries(p.person.properties).map(([k, v]) => (
                  <>
                    <dt key={`k-${k}`}>{k}</dt>
                    <dd key={`v-${k}`}><code>{short(v)}</code></dd>
                  </>
                ))}
              </dl>
            </section>
            <section aria-labelledby="cohorts-title">
              <h2 id="cohorts-title">Cohorts</h2>
              {p.cohorts.length === 0 && <p class="muted">In no cohort.</p>}
              <ul class="plain" data-testid="person-cohorts">
                {p.cohorts.map((c) => (
                  <li key={c.key}><code>{c.key}</code> <StateBadge state={c.state} /> <span class="muted">computed {ago(c.as_of)} (v{c.version}){c.entered_at ? `, member since ${time(c.entered_at)}` : ''}</span></li>
                ))}
              </ul>
              {(p.cohort_history ?? []).some((h) => h.left_at) && (
                <>
                  <h3>Past memberships</h3>
                  <ul class="plain" data-testid="past-cohorts">
                    {(p.cohort_history ?? []).filter((h) => h.left_at).map((h) => (
                      <li key={`${h.cohort}-${h.entered_at}`}><code>{h.cohort}</code> <span class="muted">{time(h.entered_at)} – {time(h.left_at)} (left by {h.left_via})</span></li>
                    ))}
                  </ul>
                </>
              )}
            </section>
          </div>
          <section aria-labelledby="decisions-title">
            <h2 id="decisions-title">Decisions</h2>
            <table class="decisions" data-testid="decisions">
              <thead><tr><th scope="col">key</th><th scope="col">value</th><th scope="col">reason</th><th scope="col">why</th></tr></thead>
              <tbody>
                {Object.values(p.decisions.flags).map((d) => <DecisionRow key={`f-${d.key}`} kind="flag" d={d} />)}
                {Object.values(p.decisions.configs).map((d) => <DecisionRow key={`c-${d.key}`} kind="config" d={d} />)}
                {p.decisions.surveys.map((d) => <DecisionRow key={`s-${d.key}`} kind="survey" d={{ ...d, value: 'eligible' }} />)}
                {(p.decisions.ineligible_surveys ?? []).map((d) => <DecisionRow key={`i-${d.key}`} kind="survey" d={{ ...d, value: `not eligible: ${d.ineligible_because}` }} />)}
              </tbody>
            </table>
          </section>
          {distinctId && <Replay project={project} distinctId={distinctId} />}
          <section aria-labelledby="events-title">
            <h2 id="events-title">Last events</h2>
            <ErrorBox error={events.error} />
            {events.data?.length === 0 && <p class="muted">No events.</p>}
            {events.data && events.data.length > 0 && (
              <table data-testid="events">
                <thead><tr><th scope="col">time</th><th scope="col">event</th><th scope="col">distinct_id</th><th scope="col">properties</th></tr></thead>
                <tbody>
                  {events.data.map((e) => (
                    <tr key={e.id}><td>{time(e.time)}</td><td>{e.event}</td><td><code>{e.distinct_id}</code></td><td><code class="wrap">{JSON.stringify(e.properties)}</code></td></tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </section>
  );
}
