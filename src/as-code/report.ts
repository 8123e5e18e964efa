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
 * One line per definition, in plan order (`+ cohort germany  create  (rules/demo/cohorts/germany.json)`),
 * then the project's definitions no file names (`? flag old-banner  not in the files: left as it is`).
 */
export function planLines(plan: Plan): string[] {
  const width = Math.max(0, ...plan.changes.map((c) => `${c.kind} ${c.key}`.length), ...plan.untracked.map((u) => `${u.kind} ${u.key}`.length));
  return [
    ...plan.changes.map((c) => `  ${SIGN[c.action]} ${`${c.kind} ${c.key}`.padEnd(width)}  ${describeChange(c)}  (${c.file})`),
    ...plan.untracked.map((u) => `  ? ${`${u.kind} ${u.key}`.padEnd(width)}  not in the files: left as it is`),
  ];
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
  if (n.create + n.update === 0) return `No changes: all ${n.unchanged} definitions of ${plan.set.dir} are up to date in project ${plan.project.id}.`;
  return `Plan: ${n.create} to create, ${n.update} to update, ${n.unchanged} unchanged.`;
}

/** `Applied: 2 created, 1 updated, 6 unchanged.` or `No changes: ...`. */
export function applySummary(plan: Plan, report: ApplyReport): string {
  const created = report.applied.filter((c) => c.action === 'create').length;
  const updated = report.applied.length - created;
  if (report.applied.length === 0) return `No changes: all ${report.unchanged} definitions of ${plan.set.dir} are up to date in project ${plan.project.id}.`;
  return `Applied: ${created} created, ${updated} updated, ${report.unchanged} unchanged (audit actor ${report.actor}).`;
}
