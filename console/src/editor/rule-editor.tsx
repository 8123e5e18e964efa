/**
 * One rule: id, description, cohort conditions (all / any / none), a JSON Logic condition,
 * rollout, bucketing unit and what it serves (a variant or value, or a split). Survey rules
 * serve nothing: matching means eligible.
 */
import type { FieldIssue } from '../lib/api.js';
import { Issues } from '../components/error-box.js';
import { JsonField } from '../components/json-field.js';
import { CohortPicker } from './cohort-picker.js';
import { RolloutSlider } from './rollout-slider.js';
import { SplitEditor } from './split-editor.js';
import type { Rule } from './rules-model.js';

export interface RuleEditorProps {
  rule: Rule;
  index: number;
  kind: 'flag' | 'config' | 'survey';
  variants: string[];
  cohorts: string[];
  issues: FieldIssue[];
  onChange: (rule: Rule) => void;
  readOnly?: boolean;
}

type Cohorts = { all?: string[]; any?: string[]; none?: string[] };
type Serve = { variant?: string; value?: unknown; split?: Array<{ variant?: string; value?: unknown; weight: number }> };

/** A copy of `o` with `k` set, or removed when `v` is undefined or an empty list/object. */
function withField<T extends Record<string, unknown>>(o: T, k: string, v: unknown): T {
  const out: Record<string, unknown> = { ...o };
  const empty = v === undefined || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
  if (empty) delete out[k];
  else out[k] = v;
  return out as T;
}

export function RuleEditor({ rule, index, kind, variants, cohorts, issues, onChange, readOnly }: RuleEditorProps) {
  const id = `rule-${index}`;
  const path = `rules[${index}]`;
  const set = (k: string, v: unknown) => onChange(withField(rule, k, v));
  const conds = (rule.cohorts ?? {}) as Cohorts;
  const setCond = (which: keyof Cohorts, keys: string[]) => set('cohorts', withField(conds, which, keys));
  const serve = (rule.serve ?? {}) as Serve;
  const splitMode = serve.split !== undefined;

  return (
    <div class="rule-body">
      <div class="row">
        <div class="field">
          <label for={`${id}-id`}>Rule id</label>
          <input id={`${id}-id`} value={rule.id} readOnly={readOnly} onInput={(e) => onChange({ ...rule, id: (e.target as HTMLInputElement).value })} />
          <Issues issues={issues} path={`${path}.id`} />
        </div>
        <div class="field grow">
          <label for={`${id}-description`}>Description</label>
          <input id={`${id}-description`} value={String(rule.description ?? '')} readOnly={readOnly} onInput={(e) => set('description', (e.target as HTMLInputElement).value || undefined)} />
        </div>
      </div>
      <fieldset>
        <legend>Cohorts</legend>
        <div class="row wrap">
          <CohortPicker id={`${id}-all`} label="in all of" keys={conds.all ?? []} cohorts={cohorts} onChange={(k) => setCond('all', k)} readOnly={readOnly} />
          <CohortPicker id={`${id}-any`} label="in any of" keys={conds.any ?? []} cohorts={cohorts} onChange={(k) => setCond('any', k)} readOnly={readOnly} />
          <CohortPicker id={`${id}-none`} label="in none of" keys={conds.none ?? []} cohorts={cohorts} onChange={(k) => setCond('none', k)} readOnly={readOnly} />
        </div>
        <Issues issues={issues} path={`${path}.cohorts`} />
      </fieldset>
      <JsonField
        id={`${id}-condition`}
        label="Condition (JSON Logic over person properties)"
        hint='e.g. {"in": [{"var": "country"}, ["DE", "FR"]]}; leave empty for none'
        value={rule.condition}
        optional
        readOnly={readOnly}
        onChange={(v) => set('condition', v)}
        issues={issues}
        path={`${path}.condition`}
      />
      <div class="row wrap">
        <RolloutSlider id={`${id}-rollout`} value={rule.rollout as number | undefined} onChange={(v) => set('rollout', v)} readOnly={readOnly} />
        <div class="field">
          <label for={`${id}-bucket-by`}>Bucket by property</label>
          <input id={`${id}-bucket-by`} placeholder="the person (default)" value={String(rule.bucket_by ?? '')} readOnly={readOnly} onInput={(e) => set('bucket_by', (e.target as HTMLInputElement).value || undefined)} />
        </div>
      </div>
      <Issues issues={issues} path={`${path}.rollout`} />
      {kind !== 'survey' && (
        <fieldset>
          <legend>Serve</legend>
          <div class="row" role="radiogroup" aria-label="what the rule serves">
            <label><input type="radio" name={`${id}-serve`} checked={!splitMode} disabled={readOnly} onChange={() => set('serve', kind === 'flag' ? { variant: variants[0] } : { value: null })} /> {kind === 'flag' ? 'one variant' : 'one value'}</label>
            <label><input type="radio" name={`${id}-serve`} checked={splitMode} disabled={readOnly} onChange={() => set('serve', { split: kind === 'flag' ? variants.slice(0, 2).map((v, i, a) => ({ variant: v, weight: i === 0 ? 100 - 100 / a.length * (a.length - 1) : 100 / a.length })) : [{ value: null, weight: 100 }] })} /> split</label>
          </div>
          {!splitMode && kind === 'flag' && (
            <div class="field">
              <label for={`${id}-variant`}>Variant</label>
              <select id={`${id}-variant`} value={serve.variant} disabled={readOnly} onChange={(e) => set('serve', { variant: (e.target as HTMLSelectElement).value })}>
                {variants.map((v) => <option key={v}>{v}</option>)}
              </select>
            </div>
          )}
          {!splitMode && kind === 'config' && <JsonField id={`${id}-value`} label="Value" value={serve.value} rows={3} readOnly={readOnly} onChange={(v) => set('serve', { value: v })} issues={issues} path={`${path}.serve.value`} />}
          {splitMode && (
            <SplitEditor id={`${id}-split`} arms={serve.split!} variants={kind === 'flag' ? variants : undefined} readOnly={readOnly} onChange={(arms) => set('serve', { split: arms })} issues={issues} path={`${path}.serve.split`} />
          )}
          <Issues issues={issues.filter((i) => i.path === `${path}.serve` || i.path === `${path}.serve.variant`)} path={`${path}.serve`} />
        </fieldset>
      )}
    </div>
  );
}
