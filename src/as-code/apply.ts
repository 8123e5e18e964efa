/**
 * Applies a plan through the admin API's services (so versions, optimistic concurrency,
 * validation and audit entries are exactly the API's): cohorts first, referenced cohorts
 * before their referrers, static members after their cohort, then flags, configs and
 * surveys. Nothing is applied when the plan has a problem. A failure midway (e.g. someone
 * edited a definition since the plan: 409) stops the run; what was applied stays, and
 * applying again converges, since unchanged definitions are skipped.
 */
import { dependencyOrder } from '../refresher/schedule.js';
import type { Plan, PlannedChange, Principal, RulesDeps } from './plan.js';
import type { CohortSpec } from './validate-cohort.js';
import type { DefinitionSpec } from './validate-definition.js';

/** The audit actor of changes made by `rules apply`. */
export const RULES_ACTOR = 'cli:rules';

/** What applying did: the changes made, in order, and those left as they were. */
export interface ApplyReport {
  applied: PlannedChange[];
  /** removed by `--prune`: flags, configs, surveys disabled then deleted; cohorts archived */
  pruned: Array<{ kind: PlannedChange['kind']; key: string }>;
  unchanged: number;
  /** the audit actor the changes were made as */
  actor: string;
}

export class PlanHasProblems extends Error {
  constructor(readonly count: number) {
    super(`${count} problem(s) in the rules; nothing was applied`);
  }
}

async function applyCohort(deps: RulesDeps, who: Principal, plan: Plan, change: PlannedChange): Promise<void> {
  const spec = change.spec as CohortSpec;
  const project = { id: plan.project.id, tier: plan.project.tier };
  if (change.action === 'create') {
    await deps.cohorts.create(who, project, {
      key: spec.key,
      name: spec.name,
      description: spec.description,
      kind: spec.kind,
      definition: spec.definition ?? undefined,
      refreshIntervalS: spec.refreshIntervalS,
    });
  } else {
    const patch: { name?: string; description?: string; definition?: unknown; refreshIntervalS?: number | null } = {};
    if (change.fields.includes('name')) patch.name = spec.name;
    if (change.fields.includes('description')) patch.description = spec.description;
    if (change.fields.includes('definition')) patch.definition = spec.definition;
    if (change.fields.includes('refresh_interval_s')) patch.refreshIntervalS = spec.refreshIntervalS;
    if (Object.keys(patch).length) await deps.cohorts.update(who, project, spec.key, patch, change.currentVersion);
  }
  const membersChanged = change.action === 'create' ? (spec.members?.ids.length ?? 0) > 0 : change.fields.includes('members');
  if (spec.members && membersChanged) await deps.members.replace(who, plan.project.id, spec.key, { kind: 'json', ids: spec.members.ids });
}

async function applyDefinition(deps: RulesDeps, who: Principal, plan: Plan, change: PlannedChange): Promise<void> {
  const spec = change.spec as DefinitionSpec;
  const body = { ...spec.document, key: spec.key };
  if (change.action === 'create') await deps.definitions.create(spec.kind, plan.project.id, who.actor, body);
  else await deps.definitions.replace(spec.kind, plan.project.id, who.actor, spec.key, body, change.currentVersion!);
}

/** Cohort changes ordered so every cohort comes after the cohorts it references. */
export function cohortOrder(changes: PlannedChange[]): PlannedChange[] {
  const cohorts = changes.filter((c) => c.kind === 'cohort');
  const nodes = cohorts.map((c, i) => ({ id: i, key: c.key, refs: (c.spec as CohortSpec).refs.map((r) => r.key), change: c }));
  return dependencyOrder(nodes).map((n) => n.change);
}

/**
 * Applies `plan`; `onChange` is told after each change is made. Throws PlanHasProblems
 * (nothing applied) when the plan has problems, or the service's AppError midway.
 */
export async function applyPlan(
  deps: RulesDeps,
  plan: Plan,
  opts: { actor?: string; onChange?: (change: PlannedChange) => void; onPrune?: (removed: { kind: PlannedChange['kind']; key: string }) => void } = {},
): Promise<ApplyReport> {
  if (plan.set.issues.length) throw new PlanHasProblems(plan.set.issues.length);
  const who: Principal = { keyId: 0, actor: opts.actor ?? RULES_ACTOR, projectIds: null };
  const report: ApplyReport = { applied: [], pruned: [], unchanged: 0, actor: who.actor };
  const ordered = [...cohortOrder(plan.changes), ...plan.changes.filter((c) => c.kind !== 'cohort')];
  for (const change of ordered) {
    if (change.action === 'unchanged') {
      report.unchanged++;
      continue;
    }
    if (change.kind === 'cohort') await applyCohort(deps, who, plan, change);
    else await applyDefinition(deps, who, plan, change);
    report.applied.push(change);
    opts.onChange?.(change);
  }
  if (plan.prune) {
    // Definitions first (they may reference the cohorts), each turned off before it goes, so
    // a process that sees only the first change already serves nothing of it.
    for (const u of plan.untracked) {
      if (u.kind === 'cohort') continue;
      await deps.definitions.kill(u.kind, plan.project.id, who.actor, u.key);
      await deps.definitions.remove(u.kind, plan.project.id, who.actor, u.key);
      report.pruned.push(u);
      opts.onPrune?.(u);
    }
    for (const u of plan.untracked) {
      if (u.kind !== 'cohort') continue;
      await deps.lifecycle.apply(who, plan.project.id, u.key, 'archive');
      report.pruned.push(u);
      opts.onPrune?.(u);
    }
  }
  return report;
}
