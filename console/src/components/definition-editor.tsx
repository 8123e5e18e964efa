/**
 * A cohort definition edited in the builder or as JSON; both views show one value. JSON
 * the builder cannot show stays editable as JSON (with the reason).
 */
import { useState } from 'preact/hooks';
import type { FieldIssue } from '../lib/api.js';
import type { NodeForm } from '../builder/form-model.js';
import { definitionToForm, FormMappingError } from '../builder/to-form.js';
import { formToDefinition } from '../builder/to-definition.js';
import { CohortBuilder } from './cohort-builder.js';
import { JsonField } from './json-field.js';

function tryForm(def: unknown): { form: NodeForm | null; problem: string | null } {
  try {
    return { form: definitionToForm(def), problem: null };
  } catch (e) {
    return { form: null, problem: e instanceof FormMappingError ? e.message : String(e) };
  }
}

export function DefinitionEditor({ value, onChange, cohorts, issues }: { value: unknown; onChange: (d: unknown) => void; cohorts: string[]; issues: FieldIssue[] }) {
  const [tab, setTab] = useState<'builder' | 'json'>('builder');
  const { form, problem } = tryForm(value);
  const setForm = (f: NodeForm) => onChange(formToDefinition(f));
  return (
    <div class="definition-editor">
      <div class="tabs" role="tablist" aria-label="definition view">
        <button type="button" role="tab" aria-selected={tab === 'builder'} aria-controls="def-panel" onClick={() => setTab('builder')}>Builder</button>
        <button type="button" role="tab" aria-selected={tab === 'json'} aria-controls="def-panel" onClick={() => setTab('json')}>JSON</button>
      </div>
      <div id="def-panel" role="tabpanel">
        {tab === 'builder' && form && (
          <>
            <CohortBuilder form={form} onChange={setForm} cohorts={cohorts} issues={issues} />
            {form.type !== 'AND' && form.type !== 'OR' && (
              <button type="button" class="small" onClick={() => setForm({ type: 'AND', values: [form] })}>Wrap in a group</button>
            )}
          </>
        )}
        {tab === 'builder' && !form && <p class="issues" role="alert">The builder cannot show this definition ({problem}); edit it as JSON.</p>}
        {tab === 'json' && <JsonField id="definition-json" label="Definition (JSON)" value={value} rows={16} onChange={onChange} issues={issues} path="definition" />}
      </div>
    </div>
  );
}
