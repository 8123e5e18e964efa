/**
 * Cohort references checked when a definition is saved (PRODUCT.md 6.1): the referenced
 * cohort must exist in the project and not be archived, and no chain of references may
 * lead back to the cohort being saved. Pure: the caller passes the project's cohorts.
 */
import { formatPath, type FieldIssue } from '../errors.js';
import { cohortReferences, type CohortDefinition } from './cohort-definition.js';
import type { CohortRef } from '../domain/cohort.js';

export type { CohortRef };

/**
 * Finds a chain of references from `fromKey`'s definition back to `target`; returns the
 * keys along the way (`[fromKey, …, target]`) or null.
 */
function pathTo(fromKey: string, target: string, cohorts: ReadonlyMap<string, CohortRef>, seen: Set<string>): string[] | null {
  if (fromKey === target) return [target];
  if (seen.has(fromKey)) return null;
  seen.add(fromKey);
  const c = cohorts.get(fromKey);
  if (c?.kind !== 'dynamic' || !c.definition) return null;
  for (const ref of cohortReferences(c.definition)) {
    const rest = pathTo(ref.key, target, cohorts, seen);
    if (rest) return [fromKey, ...rest];
  }
  return null;
}

/**
 * Checks every `{ type: 'cohort' }` node of `definition`, saved as cohort `selfKey`.
 * Returns issues whose paths point at the offending node (e.g. `definition.values[2]`).
 */
export function checkReferences(
  selfKey: string,
  definition: CohortDefinition,
  cohorts: ReadonlyMap<string, CohortRef>,
  prefix: Array<string | number> = ['definition'],
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const ref of cohortReferences(definition)) {
    const path = formatPath([...prefix, ...ref.path]) || '(definition)';
    if (ref.key === selfKey) {
      issues.push({ path, message: `cohort ${selfKey} cannot reference itself` });
      continue;
    }
    const target = cohorts.get(ref.key);
    if (!target) {
      issues.push({ path, message: `cohort ${ref.key} does not exist in this project` });
      continue;
    }
    if (target.state === 'archived') {
      issues.push({ path, message: `cohort ${ref.key} is archived and cannot be referenced` });
      continue;
    }
    const cycle = pathTo(ref.key, selfKey, cohorts, new Set());
    if (cycle) issues.push({ path, message: `reference creates a cycle: ${[selfKey, ...cycle].join(' -> ')}` });
  }
  return issues;
}
