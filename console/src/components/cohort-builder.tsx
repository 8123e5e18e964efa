/**
 * The dynamic-cohort builder: nested AND/OR groups (each may be negated) of person property
 * filters, behavioural filters (event, count, window, where) and cohort references. Edits
 * the form model (builder/form-model.ts); the page maps it to and from JSON.
 */
import type { FieldIssue } from '../lib/api.js';
import type { BehavioralForm, GroupForm, NodeForm, PropertyTestForm } from '../builder/form-model.js';
import { PROPERTY_OPERATORS, type PropertyOperator } from '../builder/definition-types.js';
import { adaptValue, NEW_NODES, OPERATOR_INFO } from '../builder/operators.js';
import { Issues } from './error-box.js';
import { ValueEditor } from './value-editor.js';

interface Ctx {
  cohorts: string[];
  issues: FieldIssue[];
}

const pathOf = (base: string, i: number) => `${base}.values[${i}]`;

function PropertyTestRow({ id, test, onChange, showKeyLabel }: { id: string; test: PropertyTestForm; onChange: (t: PropertyTestForm) => void; showKeyLabel: string }) {
  return (
    <span class="row wrap tight">
      <input id={`${id}-key`} aria-label={showKeyLabel} placeholder="property" value={test.key} onInput={(e) => onChange({ ...test, key: (e.target as HTMLInputElement).value })} />
      <select id={`${id}-op`} aria-label="operator" value={test.operator} onChange={(e) => {
        const op = (e.target as HTMLSelectElement).value as PropertyOperator;
        onChange({ ...test, operator: op, value: adaptValue(test.value, op) });
      }}>
        {PROPERTY_OPERATORS.map((op) => <option key={op} value={op}>{OPERATOR_INFO[op].label}</option>)}
      </select>
      <ValueEditor id={`${id}-value`} operator={test.operator} value={test.value} onChange={(value) => onChange({ ...test, value })} />
    </span>
  );
}

function BehavioralEditor({ id, node, onChange }: { id: string; node: BehavioralForm; onChange: (n: BehavioralForm) => void }) {
  const w = node.window;
  return (
    <div class="behavioral">
      <span class="row wrap tight">
        <select aria-label="performed or not" value={node.operator ?? 'performed'} onChange={(e) => onChange({ ...node, operator: (e.target as HTMLSelectElement).value as BehavioralForm['operator'] })}>
          <option value="performed">performed</option>
          <option value="not_performed">did not perform</option>
        </select>
        <input id={`${id}-event`} aria-label="event name (prefix_* or * for any)" placeholder="event (prefix_* ok)" value={node.event} onInput={(e) => onChange({ ...node, event: (e.target as HTMLInputElement).value })} />
        <select aria-label="how often" value={node.count?.op ?? 'default'} onChange={(e) => {
          const op = (e.target as HTMLSelectElement).value;
          onChange({ ...node, count: op === 'default' ? null : { op: op as 'gte', value: node.count?.value ?? '1' } });
        }}>
          <option value="default">at least once</option>
          <option value="gte">at least</option>
          <option value="lte">at most</option>
          <option value="eq">exactly</option>
        </select>
        {node.count && (
          <>
            <input id={`${id}-count`} aria-label="times" type="number" min={0} class="narrow" value={node.count.value} onInput={(e) => onChange({ ...node, count: { ...node.count!, value: (e.target as HTMLInputElement).value } })} />
            <span>times</span>
          </>
        )}
        <select aria-label="time window" value={w.mode} onChange={(e) => {
          const mode = (e.target as HTMLSelectElement).value;
          onChange({ ...node, window: mode === 'last' ? { mode, last: '30d' } : mode === 'between' ? { mode, from: { type: 'string', text: '-30d' } } : { mode: 'none' } });
        }}>
          <option value="none">ever</option>
          <option value="last">in the last</option>
          <option value="between">between</option>
        </select>
        {w.mode === 'last' && <input id={`${id}-last`} aria-label="window (30d, 12h, 2w)" class="narrow" value={w.last} onInput={(e) => onChange({ ...node, window: { mode: 'last', last: (e.target as HTMLInputElement).value } })} />}
        {w.mode === 'between' && (
          <>
            <input aria-label="from (ISO, unix ms or -30d; empty: open)" class="narrow" value={w.from?.text ?? ''} onInput={(e) => {
              const t = (e.target as HTMLInputElement).value;
              onChange({ ...node, window: { ...w, from: t === '' ? undefined : { type: /^\d+$/.test(t) ? 'number' : 'string', text: t } } });
            }} />
            <span>and</span>
            <input aria-label="to (ISO, unix ms or -1d; empty: now)" class="narrow" value={w.to?.text ?? ''} onInput={(e) => {
              const t = (e.target as HTMLInputElement).value;
              onChange({ ...node, window: { ...w, to: t === '' ? undefined : { type: /^\d+$/.test(t) ? 'number' : 'string', text: t } } });
            }} />
          </>
        )}
      </span>
      <div class="where">
        {(node.where ?? []).map((t, i) => (
          <div class="row tight" key={i}>
            <span class="muted">where event</span>
            <PropertyTestRow id={`${id}-where-${i}`} test={t} showKeyLabel="event property" onChange={(nt) => onChange({ ...node, where: node.where!.map((x, j) => (j === i ? nt : x)) })} />
            <button type="button" class="small" aria-label={`remove event property filter ${i + 1}`} onClick={() => onChange({ ...node, where: node.where!.filter((_, j) => j !== i) })}>×</button>
          </div>
        ))}
        <button type="button" class="small" onClick={() => onChange({ ...node, where: [...(node.where ?? []), { key: '', operator: 'eq', value: { kind: 'scalar', scalar: { type: 'string', text: '' } } }] })}>+ event property</button>
      </div>
    </div>
  );
}

function NodeEditor({ node, path, onChange, onRemove, ctx }: { node: NodeForm; path: string; onChange: (n: NodeForm) => void; onRemove?: () => void; ctx: Ctx }) {
  const id = `b-${path.replace(/[^a-z0-9]+/gi, '-')}`;
  const isGroup = node.type === 'AND' || node.type === 'OR';
  return (
    <div class={`node node-${isGroup ? 'group' : node.type}`} data-path={path}>
      <div class="row tight node-head">
        <label class="toggle small-text"><input type="checkbox" checked={node.negate === true} onChange={(e) => onChange({ ...node, negate: (e.target as HTMLInputElement).checked })} /> not</label>
        {isGroup ? (
          <select aria-label="group combines with" value={node.type} onChange={(e) => onChange({ ...(node as GroupForm), type: (e.target as HTMLSelectElement).value as 'AND' | 'OR' })}>
            <option value="AND">all of (AND)</option>
            <option value="OR">any of (OR)</option>
          </select>
        ) : (
          <span class="node-kind">{node.type === 'person' ? 'person property' : node.type === 'behavioral' ? 'event' : 'cohort'}</span>
        )}
        {node.type === 'person' && <PropertyTestRow id={id} test={node} showKeyLabel="person property" onChange={(t) => onChange({ ...node, ...t })} />}
        {node.type === 'cohort' && (
          <>
            <select aria-label="in or not in" value={node.operator} onChange={(e) => onChange({ ...node, operator: (e.target as HTMLSelectElement).value as 'in' | 'not_in' })}>
              <option value="in">in</option>
              <option value="not_in">not in</option>
            </select>
            <select id={`${id}-cohort`} aria-label="cohort" value={node.key} onChange={(e) => onChange({ ...node, key: (e.target as HTMLSelectElement).value })}>
              <option value="">choose a cohort…</option>
              {[...new Set([...ctx.cohorts, ...(node.key ? [node.key] : [])])].map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
          </>
        )}
        {onRemove && <button type="button" class="small danger" aria-label="remove this condition" onClick={onRemove}>Remove</button>}
      </div>
      {node.type === 'behavioral' && <BehavioralEditor id={id} node={node} onChange={onChange} />}
      {isGroup && <GroupChildren group={node as GroupForm} path={path} onChange={onChange} ctx={ctx} />}
      <Issues issues={ctx.issues.filter((i) => !isGroup || !i.path.startsWith(`${path}.values[`))} path={path} />
    </div>
  );
}

function GroupChildren({ group, path, onChange, ctx }: { group: GroupForm; path: string; onChange: (n: NodeForm) => void; ctx: Ctx }) {
  const add = (kind: keyof typeof NEW_NODES) => {
    const node: NodeForm = kind === 'group' ? { type: 'AND', values: [NEW_NODES.person()] } : NEW_NODES[kind]();
    onChange({ ...group, values: [...group.values, node] });
  };
  return (
    <div class="children">
      {group.values.map((child, i) => (
        <NodeEditor
          key={i}
          node={child}
          path={pathOf(path, i)}
          ctx={ctx}
          onChange={(n) => onChange({ ...group, values: group.values.map((c, j) => (j === i ? n : c)) })}
          onRemove={group.values.length > 1 ? () => onChange({ ...group, values: group.values.filter((_, j) => j !== i) }) : undefined}
        />
      ))}
      <div class="row tight add-menu">
        <span class="muted">add:</span>
        <button type="button" class="small" onClick={() => add('person')}>person property</button>
        <button type="button" class="small" onClick={() => add('behavioral')}>event</button>
        <button type="button" class="small" onClick={() => add('cohort')}>cohort</button>
        <button type="button" class="small" onClick={() => add('group')}>group</button>
      </div>
    </div>
  );
}

/** The whole definition; the root is always shown as a group. */
export function CohortBuilder({ form, onChange, cohorts, issues }: { form: NodeForm; onChange: (f: NodeForm) => void; cohorts: string[]; issues: FieldIssue[] }) {
  return (
    <div class="builder" role="group" aria-label="cohort definition">
      <NodeEditor node={form} path="definition" onChange={onChange} ctx={{ cohorts, issues }} />
    </div>
  );
}
