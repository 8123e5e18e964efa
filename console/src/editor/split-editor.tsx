/** A weighted split: arms of a variant (flags) or a value (configs); weights must add to 100. */
import type { FieldIssue } from '../lib/api.js';
import { Issues } from '../components/error-box.js';
import { JsonField } from '../components/json-field.js';
import { splitTotal } from './rules-model.js';

type Arm = { variant?: string; value?: unknown; weight: number };

interface Props {
  id: string;
  arms: Arm[];
  /** flags: the variant names; configs: undefined (arms carry values) */
  variants?: string[];
  onChange: (arms: Arm[]) => void;
  issues: FieldIssue[];
  path: string;
  readOnly?: boolean;
}

export function SplitEditor({ id, arms, variants, onChange, issues, path, readOnly }: Props) {
  const total = splitTotal(arms.map((a) => a.weight));
  const set = (i: number, patch: Partial<Arm>) => onChange(arms.map((a, j) => (j === i ? { ...a, ...patch } : a)));
  return (
    <fieldset class="split">
      <legend>Split</legend>
      {arms.map((arm, i) => (
        <div class="row arm" key={i}>
          {variants ? (
            <div class="field">
              <label for={`${id}-${i}-variant`}>Variant</label>
              <select id={`${id}-${i}-variant`} value={arm.variant} disabled={readOnly} onChange={(e) => set(i, { variant: (e.target as HTMLSelectElement).value })}>
                {variants.map((v) => <option key={v}>{v}</option>)}
              </select>
            </div>
          ) : (
            <JsonField id={`${id}-${i}-value`} label="Value" value={arm.value} rows={2} readOnly={readOnly} onChange={(v) => set(i, { value: v })} issues={issues} path={`${path}[${i}].value`} />
          )}
          <div class="field">
            <label for={`${id}-${i}-weight`}>Weight %</label>
            <input id={`${id}-${i}-weight`} type="number" min={0} max={100} step={0.001} class="narrow" value={arm.weight} disabled={readOnly} onInput={(e) => set(i, { weight: Number((e.target as HTMLInputElement).value) })} />
          </div>
          {!readOnly && arms.length > 1 && <button type="button" class="small" aria-label={`remove split arm ${i + 1}`} onClick={() => onChange(arms.filter((_, j) => j !== i))}>Remove</button>}
        </div>
      ))}
      <p class={total.ok ? 'muted' : 'issues'} role={total.ok ? undefined : 'alert'}>
        Weights add up to {total.milli / 1000} %{total.ok ? '.' : ': they must add up to 100 %.'}
      </p>
      {!readOnly && (
        <button type="button" class="small" onClick={() => onChange([...arms, variants ? { variant: variants[0], weight: 0 } : { value: null, weight: 0 }])}>Add arm</button>
      )}
      <Issues issues={issues} path={path} />
    </fieldset>
  );
}
