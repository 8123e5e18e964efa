/** The value of a property test, shaped by its operator: none, one typed scalar, or a list. */
import type { ScalarField, ValueField } from '../builder/form-model.js';
import type { PropertyOperator } from '../builder/definition-types.js';
import { OPERATOR_INFO } from '../builder/operators.js';

function ScalarInput({ id, label, field, onChange, typed }: { id: string; label: string; field: ScalarField; onChange: (f: ScalarField) => void; typed: boolean }) {
  return (
    <span class="scalar">
      {field.type === 'boolean' ? (
        <select id={id} aria-label={label} value={field.text} onChange={(e) => onChange({ ...field, text: (e.target as HTMLSelectElement).value })}>
          <option>true</option>
          <option>false</option>
        </select>
      ) : (
        field.type === 'number' && !typed ? (
          <input id={id} aria-label={label} value={field.text} type="number" onInput={(e) => onChange({ ...field, text: (e.target as HTMLInputElement).value })} />
        ) : (
          <input id={id} aria-label={label} value={field.text} type="text" onInput={(e) => onChange({ ...field, text: (e.target as HTMLInputElement).value })} />
        )
      )}
      {typed && (
        <select aria-label={`${label} type`} value={field.type} onChange={(e) => onChange({ type: (e.target as HTMLSelectElement).value as ScalarField['type'], text: (e.target as HTMLSelectElement).value === 'boolean' ? 'true' : field.text })}>
          <option value="string">text</option>
          <option value="number">number</option>
          <option value="boolean">boolean</option>
        </select>
      )}
    </span>
  );
}

export function ValueEditor({ id, operator, value, onChange }: { id: string; operator: PropertyOperator; value: ValueField; onChange: (v: ValueField) => void }) {
  const shape = OPERATOR_INFO[operator].shape;
  if (value.kind === 'none') return null;
  if (value.kind === 'list') {
    return (
      <span class="list-value" role="group" aria-label="values">
        {value.items.map((item, i) => (
          <span key={i} class="list-item">
            <ScalarInput id={`${id}-${i}`} label={`value ${i + 1}`} field={item} typed onChange={(f) => onChange({ kind: 'list', items: value.items.map((x, j) => (j === i ? f : x)) })} />
            {value.items.length > 1 && <button type="button" class="small" aria-label={`remove value ${i + 1}`} onClick={() => onChange({ kind: 'list', items: value.items.filter((_, j) => j !== i) })}>×</button>}
          </span>
        ))}
        <button type="button" class="small" onClick={() => onChange({ kind: 'list', items: [...value.items, { type: 'string', text: '' }] })}>+ value</button>
      </span>
    );
  }
  const typed = shape === 'scalar' || shape === 'date';
  return <ScalarInput id={id} label={shape === 'date' ? 'date (ISO, unix ms or -30d)' : 'value'} field={value.scalar} typed={typed} onChange={(f) => onChange({ kind: 'scalar', scalar: f })} />;
}
