/** Config (schema, default value) and survey (name, questions, triggers, schedule, limits) fields. */
import type { FieldIssue } from '../lib/api.js';
import { Issues } from '../components/error-box.js';
import { JsonField } from '../components/json-field.js';

type Props = { doc: Record<string, unknown>; onChange: (d: Record<string, unknown>) => void; issues: FieldIssue[]; readOnly?: boolean };

const setter = (doc: Record<string, unknown>, onChange: Props['onChange']) => (k: string, v: unknown) => {
  const out = { ...doc };
  if (v === undefined || v === '') delete out[k];
  else out[k] = v;
  onChange(out);
};

export function ConfigFields({ doc, onChange, issues, readOnly }: Props) {
  const set = setter(doc, onChange);
  return (
    <section aria-labelledby="config-title">
      <h2 id="config-title">Value</h2>
      <div class="row wrap">
        <JsonField id="config-schema" label="JSON Schema (draft-07) every value must match" value={doc.schema} rows={6} readOnly={readOnly} onChange={(v) => set('schema', v)} issues={issues} path="schema" />
        <JsonField id="config-default" label="Default value (no rule matches)" value={doc.default} rows={6} readOnly={readOnly} onChange={(v) => set('default', v)} issues={issues} path="default" />
      </div>
    </section>
  );
}

export function SurveyFields({ doc, onChange, issues, readOnly }: Props) {
  const set = setter(doc, onChange);
  const num = (k: string) => (e: Event) => {
    const t = (e.target as HTMLInputElement).value;
    set(k, t === '' ? undefined : Number(t));
  };
  return (
    <section aria-labelledby="survey-title">
      <h2 id="survey-title">Survey</h2>
      <div class="field">
        <label for="survey-name">Name</label>
        <input id="survey-name" value={String(doc.name ?? '')} readOnly={readOnly} onInput={(e) => set('name', (e.target as HTMLInputElement).value)} />
        <Issues issues={issues} path="name" />
      </div>
      <JsonField id="survey-questions" label="Questions" value={doc.questions} rows={6} readOnly={readOnly} onChange={(v) => set('questions', v)} issues={issues} path="questions" />
      <div class="row wrap">
        <JsonField id="survey-triggers" label="Triggers (events, url_pattern, delay_ms)" value={doc.triggers} optional rows={3} readOnly={readOnly} onChange={(v) => set('triggers', v)} issues={issues} path="triggers" />
        <JsonField id="survey-schedule" label="Schedule (start, end)" value={doc.schedule} optional rows={3} readOnly={readOnly} onChange={(v) => set('schedule', v)} issues={issues} path="schedule" />
      </div>
      <div class="row wrap">
        <div class="field">
          <label for="survey-limit">Response limit</label>
          <input id="survey-limit" type="number" min={1} class="narrow" value={doc.response_limit === undefined ? '' : String(doc.response_limit)} readOnly={readOnly} onChange={num('response_limit')} />
          <Issues issues={issues} path="response_limit" />
        </div>
        <div class="field">
          <label for="survey-wait">Wait between showings (days)</label>
          <input id="survey-wait" type="number" min={0} class="narrow" value={doc.wait_period_days === undefined ? '' : String(doc.wait_period_days)} readOnly={readOnly} onChange={num('wait_period_days')} />
          <Issues issues={issues} path="wait_period_days" />
        </div>
      </div>
    </section>
  );
}
