/** Rollout percentage in 0.001 % steps: a slider and a number box; absent means 100 %. */
import { roundPercent } from './rules-model.js';

export function RolloutSlider({ id, value, onChange, readOnly }: { id: string; value: number | undefined; onChange: (v: number | undefined) => void; readOnly?: boolean }) {
  const shown = value ?? 100;
  const set = (raw: string) => {
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) onChange(roundPercent(n));
  };
  return (
    <div class="field rollout">
      <label for={`${id}-range`}>Rollout (% of matching persons)</label>
      <div class="row">
        <input id={`${id}-range`} type="range" min={0} max={100} step={0.001} value={shown} disabled={readOnly} onInput={(e) => set((e.target as HTMLInputElement).value)} />
        <input id={`${id}-number`} aria-label="rollout percentage" type="number" min={0} max={100} step={0.001} value={shown} disabled={readOnly} onChange={(e) => set((e.target as HTMLInputElement).value)} class="narrow" />
        <span>%</span>
        {value !== undefined && !readOnly && <button type="button" class="small" onClick={() => onChange(undefined)}>Everyone</button>}
      </div>
    </div>
  );
}
