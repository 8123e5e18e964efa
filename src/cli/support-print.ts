/**
 * Terminal text of the support CLI: a person's profile and cohorts, every decision with its
 * trace (`explain`), cohorts, upload reports and keys. Pure: given the API's JSON bodies and
 * whether to colour (a TTY without NO_COLOR), it returns lines; `--json` bypasses it.
 */
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];
type Json = Record<string, unknown>;

/** Colours text when `on`; plain otherwise (pipes, files, NO_COLOR). */
export function painter(on: boolean) {
  return (style: Style, text: string) => (on ? styleText(style, text, { validateStream: false }) : text);
}
export type Paint = ReturnType<typeof painter>;

const s = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const ago = (iso: unknown, now: number) => {
  if (typeof iso !== 'string') return 'never';
  const sec = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return sec < 120 ? `${sec} s ago` : sec < 7200 ? `${Math.round(sec / 60)} min ago` : `${Math.round(sec / 3600)} h ago`;
};

/** `persons show`: profile, distinct ids, stats and cohorts with their freshness. */
export function personLines(body: Json, paint: Paint, now: number): string[] {
  const person = (body.person ?? {}) as Json;
  const stats = (body.stats ?? {}) as Json;
  const out = [paint('bold', `person ${s(person.id ?? '(unknown)')}`) + (person.identified ? ' (identified)' : '')];
  out.push(`  distinct ids  ${((body.distinct_ids as unknown[]) ?? []).map(s).join(', ') || '(none)'}`);
  out.push(`  first seen    ${s(person.first_seen ?? stats.first_seen ?? '-')}`);
  out.push(`  last seen     ${s(person.last_seen ?? stats.last_seen ?? '-')}`);
  out.push(`  events        ${s(stats.event_count ?? person.event_count ?? 0)}`);
  const props = (person.properties ?? {}) as Json;
  const keys = Object.keys(props).sort();
  out.push(`  properties    ${keys.length ? '' : '(none)'}`);
  for (const k of keys) out.push(`    ${k}: ${s(props[k])}`);
  const cohorts = (body.cohorts as Json[] | undefined) ?? [];
  out.push(paint('bold', `cohorts (${cohorts.length})`));
  for (const c of cohorts) {
    const state = String(c.state);
    const coloured = paint(state === 'active' ? 'green' : state === 'building' ? 'yellow' : 'red', state);
    out.push(`  ${s(c.key).padEnd(32)} ${String(c.kind).padEnd(8)} ${coloured}  as of ${s(c.as_of ?? 'never')} (${ago(c.as_of, now)}), version ${s(c.version)}`);
  }
  return out;
}

const REASON_STYLE: Record<string, Style> = { TARGETING_MATCH: 'green', SPLIT: 'green', DEFAULT: 'dim', STATIC: 'dim', DISABLED: 'yellow', ERROR: 'red', STALE: 'yellow' };

/** The trace of one decision, one line per rule: result, why, cohorts, condition, buckets. */
function traceLines(trace: Json[], paint: Paint): string[] {
  const out: string[] = [];
  for (const t of trace) {
    const result = String(t.result);
    const mark = result === 'matched' ? paint('green', '✓') : result === 'error' ? paint('red', '✗') : result === 'skipped' ? paint('yellow', '-') : paint('dim', '·');
    out.push(`      ${mark} rule ${s(t.rule_id)}: ${result}${t.why && t.why !== result ? `: ${s(t.why)}` : ''}`);
    for (const c of (t.cohorts as Json[] | undefined) ?? []) out.push(`          cohort ${s(c.key)} (${s(c.expected)}): member=${s(c.actual)} state=${s(c.state)}`);
    const cond = t.condition as Json | undefined;
    if (cond) out.push(`          condition ${s(cond.expression)} -> ${s(cond.result)}${cond.values ? ` with ${s(cond.values)}` : ''}`);
    if (t.bucket !== undefined) out.push(`          rollout bucket ${s(t.bucket)} < ${s(t.threshold)}?`);
    if (t.split_bucket !== undefined) out.push(`          split bucket ${s(t.split_bucket)}`);
  }
  return out;
}

const entries = (v: unknown): Array<[string, Json]> => {
  if (Array.isArray(v)) return v.map((d) => [String((d as Json).key), d as Json]);
  return v && typeof v === 'object' ? Object.entries(v as Record<string, Json>) : [];
};

/** `explain`: every flag, config and survey decision of the person, each with its trace. */
export function explainLines(body: Json, paint: Paint, only?: string): string[] {
  const d = (body.decisions ?? {}) as Json;
  const out: string[] = [paint('bold', `decisions (bucketing key ${s(d.bucketing_key)}, snapshot ${s(d.snapshot_version)}${d.degraded ? ', DEGRADED' : ''})`)];
  const section = (title: string, list: Array<[string, Json]>, line: (k: string, x: Json) => string) => {
    const shown = list.filter(([k]) => only === undefined || k === only);
    if (!shown.length) return;
    out.push(paint('bold', `  ${title}`));
    for (const [k, x] of shown) {
      out.push(`    ${line(k, x)}`);
      const fresh = (x.freshness as Json[] | undefined) ?? [];
      if (fresh.length) out.push(paint('dim', `      read ${fresh.map((f) => `${s(f.cohort)} (${s(f.state)}, as of ${s(f.as_of ?? 'never')})`).join(', ')}`));
      out.push(...traceLines((x.trace as Json[] | undefined) ?? [], paint));
    }
  };
  const reason = (x: Json) => paint(REASON_STYLE[String(x.reason)] ?? 'reset', String(x.reason));
  const rule = (x: Json) => (x.rule_id ? ` rule ${s(x.rule_id)}` : '') + (x.error_code ? ` ${paint('red', `${s(x.error_code)}: ${s(x.error_message ?? '')}`)}` : '');
  section('flags', entries(d.flags), (k, x) => `${paint('cyan', k)} = ${s(x.value ?? null)}${x.variant ? ` (${s(x.variant)})` : ''}  ${reason(x)}${rule(x)}`);
  section('configs', entries(d.configs), (k, x) => `${paint('cyan', k)} = ${s(x.value ?? null)}  ${reason(x)}${rule(x)}`);
  section('surveys (offered)', entries(d.surveys), (k, x) => `${paint('cyan', k)}  ${reason(x)}${rule(x)}`);
  section('surveys (not offered)', entries(d.ineligible_surveys), (k, x) => `${paint('cyan', k)}  ${s(x.ineligible_because ?? x.reason)}${rule(x)}`);
  if (only !== undefined && out.length === 1) out.push(`  nothing named ${JSON.stringify(only)} in this project`);
  return out;
}

/** `cohorts list`: one line per cohort. */
export function cohortListLines(rows: Json[], paint: Paint, now: number): string[] {
  if (!rows.length) return ['no cohorts'];
  return rows.map((c) => {
    const state = String(c.state);
    const colour: Style = state === 'active' ? 'green' : state === 'building' ? 'yellow' : state === 'archived' ? 'dim' : 'red';
    return `${s(c.key).padEnd(32)} ${String(c.kind).padEnd(8)} ${paint(colour, state.padEnd(9))} ${String(c.member_count ?? '-').padStart(9)} members  calculated ${ago(c.last_calculated_at, now)}`;
  });
}

/** `cohorts show` and lifecycle answers: every field of the cohort, one per line. */
export function objectLines(body: Json): string[] {
  return Object.entries(body).map(([k, v]) => `${k.padEnd(22)} ${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
}

/** `keys list`: one line per key (secrets are never listed: only their prefix). */
export function keyLines(rows: Json[]): string[] {
  if (!rows.length) return ['no keys'];
  return rows.map((k) => `${String(k.id).padStart(5)}  ${s(k.prefix).padEnd(14)} ${s(k.name).padEnd(28)} ${s(k.scope ?? 'write').padEnd(6)} projects ${k.project_ids === null ? 'all' : s(k.project_ids)}${k.revoked_at ? `  revoked ${s(k.revoked_at)}` : ''}`);
}
