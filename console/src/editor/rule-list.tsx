/**
 * The rules in order: drag a rule's header onto another to move it there, or use the
 * keyboard-reachable "Move up" / "Move down" buttons. The first matching rule wins.
 */
import { useState } from 'preact/hooks';
import type { FieldIssue } from '../lib/api.js';
import { issuesAt } from '../components/error-box.js';
import { RuleEditor } from './rule-editor.js';
import { freshRuleId, move, type Rule } from './rules-model.js';

interface Props {
  rules: Rule[];
  kind: 'flag' | 'config' | 'survey';
  variants: string[];
  cohorts: string[];
  issues: FieldIssue[];
  onChange: (rules: Rule[]) => void;
  readOnly?: boolean;
}

export function RuleList({ rules, kind, variants, cohorts, issues, onChange, readOnly }: Props) {
  const [dragging, setDragging] = useState<number | null>(null);
  const [over, setOver] = useState<number | null>(null);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const add = () => {
    const id = freshRuleId(rules);
    const serve = kind === 'flag' ? { serve: { variant: variants[0] } } : kind === 'config' ? { serve: { value: null } } : {};
    onChange([...rules, { id, ...serve }]);
    setOpen({ ...open, [id]: true });
  };
  const summary = (r: Rule) => {
    const parts: string[] = [];
    const c = (r.cohorts ?? {}) as Record<string, string[]>;
    for (const k of ['all', 'any', 'none']) if (c[k]?.length) parts.push(`${k}: ${c[k].join(', ')}`);
    if (r.condition !== undefined) parts.push('condition');
    if (r.rollout !== undefined) parts.push(`${r.rollout} %`);
    const s = r.serve as { variant?: string; split?: unknown[]; value?: unknown } | undefined;
    if (s?.variant) parts.push(`→ ${s.variant}`);
    if (s?.split) parts.push(`→ split ${s.split.length}`);
    if (s && 'value' in s && s.value !== undefined) parts.push(`→ ${JSON.stringify(s.value)}`);
    return parts.join(' · ') || 'everyone';
  };

  return (
    <section aria-labelledby="rules-title">
      <h2 id="rules-title">Rules <span class="muted">(in order; the first that matches wins)</span></h2>
      {rules.length === 0 && <p class="muted">No rules: everyone gets the default.</p>}
      <ol class="rules">
        {rules.map((r, i) => {
          const expanded = open[r.id] ?? false;
          const bad = issuesAt(issues, `rules[${i}]`).length > 0;
          return (
            <li
              key={`${r.id}-${i}`}
              class={`rule${over === i && dragging !== null && dragging !== i ? ' drop-target' : ''}${bad ? ' has-issues' : ''}`}
              data-rule-id={r.id}
              onDragOver={(e) => {
                if (dragging === null) return;
                e.preventDefault();
                setOver(i);
              }}
              onDragLeave={() => setOver(null)}
              onDrop={(e) => {
                e.preventDefault();
                if (dragging !== null) onChange(move(rules, dragging, i));
                setDragging(null);
                setOver(null);
              }}
            >
              <div
                class="rule-head"
                draggable={!readOnly}
                data-testid={`rule-handle-${r.id}`}
                onDragStart={(e) => {
                  setDragging(i);
                  e.dataTransfer?.setData('text/plain', r.id);
                  if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
                }}
                onDragEnd={() => {
                  setDragging(null);
                  setOver(null);
                }}
              >
                {!readOnly && <span class="grip" aria-hidden="true">⠿</span>}
                <span class="rule-no">{i + 1}.</span>
                <button type="button" class="link rule-title" aria-expanded={expanded} onClick={() => setOpen({ ...open, [r.id]: !expanded })}>
                  {r.id}
                </button>
                <span class="muted rule-summary">{summary(r)}</span>
                {!readOnly && (
                  <span class="rule-actions">
                    <button type="button" class="small" disabled={i === 0} aria-label={`move rule ${r.id} up`} onClick={() => onChange(move(rules, i, i - 1))}>↑</button>
                    <button type="button" class="small" disabled={i === rules.length - 1} aria-label={`move rule ${r.id} down`} onClick={() => onChange(move(rules, i, i + 1))}>↓</button>
                    <button type="button" class="small danger" aria-label={`delete rule ${r.id}`} onClick={() => onChange(rules.filter((_, j) => j !== i))}>Delete</button>
                  </span>
                )}
              </div>
              {expanded && <RuleEditor rule={r} index={i} kind={kind} variants={variants} cohorts={cohorts} issues={issues} readOnly={readOnly} onChange={(nr) => onChange(rules.map((x, j) => (j === i ? nr : x)))} />}
            </li>
          );
        })}
      </ol>
      {!readOnly && <button type="button" onClick={add}>Add rule</button>}
    </section>
  );
}
