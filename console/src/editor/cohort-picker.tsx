/** The cohort keys of one rule condition (all / any / none): chips plus an "add" menu. */
export function CohortPicker({ id, label, keys, cohorts, onChange, readOnly }: { id: string; label: string; keys: string[]; cohorts: string[]; onChange: (keys: string[]) => void; readOnly?: boolean }) {
  const options = cohorts.filter((c) => !keys.includes(c));
  return (
    <div class="field picker" role="group" aria-labelledby={`${id}-label`}>
      <span id={`${id}-label`} class="label">{label}</span>
      <ul class="chips">
        {keys.map((k) => (
          <li key={k} class="chip">
            {k}
            {!readOnly && <button type="button" class="chip-x" aria-label={`remove cohort ${k} from ${label}`} onClick={() => onChange(keys.filter((x) => x !== k))}>×</button>}
          </li>
        ))}
        {keys.length === 0 && <li class="muted">none</li>}
      </ul>
      {!readOnly && options.length > 0 && (
        <select id={id} aria-label={`add a cohort to ${label}`} value="" onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          if (v) onChange([...keys, v]);
        }}>
          <option value="">add cohort…</option>
          {options.map((c) => <option key={c} value={c}>{c}</option>)}
        </select>
      )}
    </div>
  );
}
