/** A flag's variants (name, value, payload), default and off variants. */
import type { FieldIssue } from '../lib/api.js';
import { Issues } from '../components/error-box.js';
import { JsonField } from '../components/json-field.js';
import { variantNames } from './rules-model.js';

type Variants = Record<string, { value: unknown; payload?: unknown }>;

export function FlagFields({ doc, onChange, issues, readOnly }: { doc: Record<string, unknown>; onChange: (d: Record<string, unknown>) => void; issues: FieldIssue[]; readOnly?: boolean }) {
  const variants = doc.variants as Variants | undefined;
  const names = variantNames(doc);
  const setVariants = (v: Variants) => onChange({ ...doc, variants: v });
  const rename = (from: string, to: string) => setVariants(Object.fromEntries(Object.entries(variants ?? {}).map(([k, v]) => [k === from ? to : k, v])));
  const set = (k: string, v: unknown) => {
    const out = { ...doc };
    if (v === undefined || v === '') delete out[k];
    else out[k] = v;
    onChange(out);
  };
  return (
    <section aria-labelledby="variants-title">
      <h2 id="variants-title">Variants</h2>
      {!variants && (
        <p class="muted">
          Boolean flag: <code>on</code> serves <code>true</code>, <code>off</code> serves <code>false</code>.{' '}
          {!readOnly && (
            <button type="button" class="small" onClick={() => onChange({ ...doc, kind: 'multivariate', variants: { control: { value: 'control' }, treatment: { value: 'treatment' } }, default_variant: 'control' })}>
              Make multivariate
            </button>
          )}
        </p>
      )}
      {variants && (
        <table class="variants">
          <thead><tr><th scope="col">name</th><th scope="col">value (JSON)</th><th scope="col">payload (JSON, optional)</th>{!readOnly && <th scope="col"><span class="sr-only">actions</span></th>}</tr></thead>
          <tbody>
            {Object.entries(variants).map(([name, v], i) => (
              <tr key={i}>
                <td>
                  <label class="sr-only" for={`variant-${i}-name`}>variant {i + 1} name</label>
                  <input id={`variant-${i}-name`} value={name} readOnly={readOnly} onChange={(e) => rename(name, (e.target as HTMLInputElement).value)} />
                </td>
                <td><JsonField id={`variant-${i}-value`} label={`value of ${name}`} value={v.value} rows={1} readOnly={readOnly} onChange={(val) => setVariants({ ...variants, [name]: { ...v, value: val } })} issues={issues} path={`variants.${name}.value`} /></td>
                <td><JsonField id={`variant-${i}-payload`} label={`payload of ${name}`} value={v.payload} rows={1} optional readOnly={readOnly} onChange={(val) => { const nv = { ...v }; if (val === undefined) delete nv.payload; else nv.payload = val; setVariants({ ...variants, [name]: nv }); }} issues={issues} path={`variants.${name}.payload`} /></td>
                {!readOnly && <td><button type="button" class="small danger" aria-label={`delete variant ${name}`} onClick={() => { const nv = { ...variants }; delete nv[name]; setVariants(nv); }}>Delete</button></td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {variants && !readOnly && <button type="button" class="small" onClick={() => setVariants({ ...variants, [`variant-${names.length + 1}`]: { value: `variant-${names.length + 1}` } })}>Add variant</button>}
      <Issues issues={issues} path="variants" />
      <div class="row wrap">
        <div class="field">
          <label for="default-variant">Default variant (no rule matches)</label>
          <select id="default-variant" value={String(doc.default_variant ?? (variants ? '' : 'off'))} disabled={readOnly} onChange={(e) => set('default_variant', (e.target as HTMLSelectElement).value)}>
            {!variants && <option value="">off (boolean default)</option>}
            {names.map((n) => <option key={n}>{n}</option>)}
          </select>
          <Issues issues={issues} path="default_variant" />
        </div>
        <div class="field">
          <label for="off-variant">Off variant (kill switch)</label>
          <select id="off-variant" value={String(doc.off_variant ?? '')} disabled={readOnly} onChange={(e) => set('off_variant', (e.target as HTMLSelectElement).value)}>
            <option value="">{variants ? 'the default variant' : 'off'}</option>
            {names.map((n) => <option key={n}>{n}</option>)}
          </select>
          <Issues issues={issues} path="off_variant" />
        </div>
      </div>
    </section>
  );
}
