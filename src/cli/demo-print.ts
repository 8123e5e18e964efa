/** Text the demo prints: the cohort table and handshakes, as aligned plain-text columns. */
import type { CohortBody, DecisionBody, HandshakeBody } from './demo-http.js';

/** Aligns rows of cells into columns separated by two spaces. */
export function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) => indent + r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

const shortIso = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/(\.\d+)?Z$/, 'Z') : '-');

/**
 * The cohort sizes table. `shiftMs` maps each computation time back to the raw data's clock
 * (as_of - shift), the instant to anchor "last N days" at when recounting from the CSV.
 */
export function cohortLines(cohorts: CohortBody[], shiftMs: number): string[] {
  const rows = [['cohort', 'kind', 'state', 'members', 'version', 'computed at (as_of)', 'same instant in raw data', 'name']];
  for (const c of cohorts) {
    const raw = c.last_calculated_at ? new Date(Date.parse(c.last_calculated_at) - shiftMs).toISOString().replace('T', ' ') : '-';
    rows.push([c.key, c.kind, c.state, c.member_count.toLocaleString('en-US'), String(c.version), shortIso(c.last_calculated_at), raw, c.name]);
  }
  return table(rows);
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? 'null');

function decisionRow(kind: string, d: DecisionBody): string[] {
  return [kind, d.key, show(d.value), d.variant ?? '-', d.reason + (d.error_code ? ` (${d.error_code})` : ''), d.rule_id ? `rule ${d.rule_id}` : ''];
}

/** A handshake's decisions, one line each, then the eligible surveys and the cohorts it read. */
export function handshakeLines(body: HandshakeBody): string[] {
  const rows: string[][] = [];
  for (const d of Object.values(body.flags)) rows.push(decisionRow('flag', d));
  for (const d of Object.values(body.configs)) rows.push(decisionRow('config', d));
  for (const s of body.surveys) rows.push(['survey', s.key, 'eligible', '-', String(s.reason), s.rule_id ? `rule ${s.rule_id}` : '']);
  if (body.surveys.length === 0) rows.push(['survey', '(none eligible)', '', '', '', '']);
  const lines = table(rows, '    ');
  const read = Object.entries(body.snapshot.cohorts).map(([k, c]) => `${k} ${c.state} v${c.version} as of ${shortIso(c.as_of)}`);
  lines.push(`    cohorts read: ${read.length ? read.join('; ') : 'none'}${body.snapshot.degraded ? ' (DEGRADED: Redis unreachable)' : ''}`);
  return lines;
}

/** `key: variant` of every flag and config, to compare two handshakes. */
export function variantsOf(body: HandshakeBody): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const d of [...Object.values(body.flags), ...Object.values(body.configs)]) out[d.key] = d.variant;
  return out;
}

/** Lines comparing two handshakes' variants: `same` or `before -> after` per key. */
export function compareLines(before: HandshakeBody, after: HandshakeBody): string[] {
  const a = variantsOf(before);
  const b = variantsOf(after);
  const rows = Object.keys({ ...a, ...b }).map((k) => [k, String(a[k]), a[k] === b[k] ? 'same' : `changed to ${String(b[k])}`]);
  return table(rows, '    ');
}
