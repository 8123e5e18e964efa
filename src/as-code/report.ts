/**
 * Text the `rules` commands print: problems (one line each, `file: path: message`), the
 * plan (one line per definition) and summaries. Pure, so tests read the same text.
 */
import { formatIssue, type RuleIssue } from './load.js';
import type { Plan, PlannedChange } from './plan.js';
import type { ApplyReport } from './apply.js';

const SIGN: Record<PlannedChange['action'], string> = { create: '+', update: '~', unchanged: '=' };

/** `error: file: path: message` and `warning: ...` lines. */
export function issueLines(issues: RuleIssue[], warnings: RuleIssue[]): string[] {
  return [...issues.map((i) => `error: ${formatIssue(i)}`), ...warnings.map((w) => `warning: ${formatIssue(w)}`)];
}

/** What a change does, in a few words: `create`, `update rules[1].rollout: 50 -> 75`, `members +2 -1`. */
export function describeChange(c: PlannedChange): string {
  if (c.action === 'unchanged') return 'unchanged';
  const parts: string[] = [];
  if (c.action === 'create') parts.push('create');
  const fields = c.fields.filter((f) => f !== 'members');
  if (c.action === 'update' && fields.length) parts.push(`update ${c.details.length ? c.details.join(', ') : fields.join(', ')}`);
  if (c.members && (c.members.add || c.members.remove)) parts.push(`members +${c.members.add} -${c.members.remove} (${c.members.total} listed)`);
  return parts.join('; ');
}

/**
 * The plan, per definition, in plan order: `+` added, `~` changed (then one line per changed
 * field path, `      rules[1].rollout: 50 -> 75`), `=` unchanged, and the project's definitions
 * no file names: `-` removed (with `--prune`: deleted, cohorts archived) or `?` left alone.
 */
export function planLines(plan: Plan): string[] {
  const width = Math.max(0, ...plan.changes.map((c) => `${c.kind} ${c.key}`.length), ...plan.untracked.map((u) => `${u.kind} ${u.key}`.length));
  const out: string[] = [];
  for (const c of plan.changes) {
    if (c.action !== 'update') {
      out.push(`  ${SIGN[c.action]} ${`${c.kind} ${c.key}`.padEnd(width)}  ${describeChange(c)}  (${c.file})`);
      continue;
    }
    const members = c.members && (c.members.add || c.members.remove) ? `; members +${c.members.add} -${c.members.remove} (${c.members.total} listed)` : '';
    const fields = c.fields.filter((f) => f !== 'members');
    out.push(`  ~ ${`${c.kind} ${c.key}`.padEnd(width)}  update${fields.length ? ` ${fields.join(', ')}` : ''}${members}  (${c.file})`);
    for (const d of c.details) out.push(`      ${d}`);
  }
  for (const u of plan.untracked) {
    if (plan.prune) out.push(`  - ${`${u.kind} ${u.key}`.padEnd(width)}  not in the files: ${u.kind === 'cohort' ? 'archive' : 'disable, then delete'}`);
    else out.push(`  ? ${`${u.kind} ${u.key}`.padEnd(width)}  not in the files: left as it is (--prune removes it)`);
  }
  return out;
}

/** Counts by action. */
export function planCounts(plan: Plan): Record<PlannedChange['action'], number> {
  const counts = { create: 0, update: 0, unchanged: 0 };
  for (const c of plan.changes) counts[c.action]++;
  return counts;
}

/** `Plan: 2 to create, 1 to update, 6 unchanged.` or `No changes: ...`. */
export function planSummary(plan: Plan): string {
  const n = planCounts(plan);
  const removed = plan.prune ? plan.untracked.length : 0;
  if (removed) return `Plan: ${n.create} to create, ${n.update} to update, ${removed} to remove, ${n.unchanged} unchanged.`;
  if (n.create + n.update === 0) return `No changes: all ${n.unchanged} definitions of ${plan.set.dir} are up to date in project ${plan.project.id}.`;
  return `Plan: ${n.create} to create, ${n.update} to update, ${n.unchanged} unchanged.`;
}

/** `Applied: 2 created, 1 updated, 6 unchanged.` or `No changes: ...`. */
export function applySummary(plan: Plan, report: ApplyReport): string {
  const created = report.applied.filter((c) => c.action === 'create').length;
  const updated = report.applied.length - created;
  if (report.pruned.length) return `Applied: ${created} created, ${updated} updated, ${report.pruned.length} removed, ${report.unchanged} unchanged (audit actor ${report.actor}).`;
  if (report.applied.length === 0) return `No changes: all ${report.unchanged} definitions of ${plan.set.dir} are up to date in project ${plan.project.id}.`;
  return `Applied: ${created} created, ${updated} updated, ${report.unchanged} unchanged (audit actor ${report.actor}).`;
}

/** The plan for scripts (`--json`): each change with its field paths, and what is not in the files. */
export function planJson(plan: Plan) {
  return {
    project: plan.project.id,
    changes: plan.changes.map((c) => ({ kind: c.kind, key: c.key, file: c.file, action: c.action, fields: c.fields, details: c.details, members: c.members })),
    removed: plan.untracked.map((u) => ({ ...u, action: plan.prune ? (u.kind === 'cohort' ? 'archive' : 'delete') : 'left alone' })),
    warnings: plan.set.warnings,
  };
}
