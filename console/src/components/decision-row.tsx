/**
 * One decision with its trace: the matching rule is "why this value"; each rule before it
 * that did not match or was skipped is a "why not the rule above" line.
 */
import { useState } from 'preact/hooks';
import { short } from '../lib/format.js';

interface TraceEntry {
  rule_id: string;
  result: 'matched' | 'no_match' | 'skipped' | 'error';
  cohorts: Array<{ key: string; expected: string; actual: boolean; state: string }>;
  condition?: { expression: unknown; result: unknown };
  bucket?: number;
  threshold?: number;
  split_bucket?: number;
  why: string;
}

export interface Decision {
  key: string;
  value?: unknown;
  variant?: string | null;
  reason: string;
  rule_id?: string;
  error_code?: string;
  error_message?: string;
  freshness?: Array<{ cohort: string; state: string; as_of: number | null }>;
  trace?: TraceEntry[];
}

/** `testId` prefixes the value cell's test id (default `value-`), so two tables can share a page. */
export function DecisionRow({ kind, d, testId = 'value-' }: { kind: string; d: Decision; testId?: string }) {
  const [open, setOpen] = useState(false);
  const trace = d.trace ?? [];
  const matched = trace.find((t) => t.result === 'matched');
  const why = matched ? `rule ${matched.rule_id}: ${matched.why}` : d.reason === 'DEFAULT' ? 'no rule matched: the default' : d.reason === 'DISABLED' ? 'turned off (kill switch)' : d.error_message ?? d.reason.toLowerCase();
  return (
    <>
      <tr data-decision={d.key}>
        <td><span class="muted small-text">{kind}</span> <code>{d.key}</code></td>
        <td data-testid={`${testId}${d.key}`}>{d.variant ?? short(d.value)}{d.variant && d.value !== undefined && String(d.value) !== d.variant ? <span class="muted"> = {short(d.value)}</span> : null}</td>
        <td>{d.reason}{d.error_code ? ` (${d.error_code})` : ''}</td>
        <td>
          {why}{' '}
          {trace.length > 0 && <button type="button" class="small" aria-expanded={open} onClick={() => setOpen(!open)}>{open ? 'Hide trace' : 'Trace'}</button>}
        </td>
      </tr>
      {open && (
        <tr class="trace-row">
          <td colSpan={4}>
            <ol class="trace" aria-label={`trace of ${d.key}`}>
              {trace.map((t) => (
                <li key={t.rule_id} class={`trace-${t.result}`}>
                  <strong>{t.rule_id}</strong> <span class="badge">{t.result.replace('_', ' ')}</span> {t.result === 'matched' ? 'why this value: ' : 'why not: '}
                  {t.why}
                  {t.cohorts.length > 0 && (
                    <ul>
                      {t.cohorts.map((c) => (
                        <li key={c.key}>cohort <code>{c.key}</code> ({c.state}): expected {c.expected}, member: {String(c.actual)}</li>
                      ))}
                    </ul>
                  )}
                  {t.condition && <div class="muted">condition <code>{JSON.stringify(t.condition.expression)}</code> gave <code>{JSON.stringify(t.condition.result)}</code></div>}
                  {t.bucket !== undefined && <div class="muted">bucket {t.bucket} vs threshold {t.threshold}{t.split_bucket !== undefined ? `; split bucket ${t.split_bucket}` : ''}</div>}
                </li>
              ))}
            </ol>
            {d.freshness && d.freshness.length > 0 && (
              <p class="muted">Read cohorts: {d.freshness.map((f) => `${f.cohort} (${f.state}, as of ${f.as_of ? new Date(f.as_of).toISOString() : 'never'})`).join('; ')}</p>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
