/**
 * Groups a project's compiled definitions into one Snapshot: the consistent set every decision
 * of a handshake is made from, plus the cohort keys the handshake must read.
 */
import type { BrokenDefinition, CompiledDefinition, CompiledSurvey, FlagLike, Snapshot } from './compiled.js';

/** Builds a snapshot; a later definition with the same kind and key replaces an earlier one. */
export function createSnapshot(definitions: readonly CompiledDefinition[]): Snapshot {
  const flags = new Map<string, FlagLike>();
  const configs = new Map<string, FlagLike>();
  const surveys = new Map<string, CompiledSurvey | BrokenDefinition>();
  const cohortKeys = new Set<string>();
  for (const def of definitions) {
    if (def.kind === 'survey') surveys.set(def.key, def as CompiledSurvey | BrokenDefinition);
    else if (def.kind === 'config') configs.set(def.key, def as FlagLike);
    else flags.set(def.key, def as FlagLike);
    for (const key of referencedCohorts(def)) cohortKeys.add(key);
  }
  return { flags: [...flags.values()], configs: [...configs.values()], surveys: [...surveys.values()], cohortKeys: [...cohortKeys] };
}

/** Cohort keys a definition references, unique, in rule order: all a handshake must read for it. */
export function referencedCohorts(def: CompiledDefinition): string[] {
  if (def.format !== 'native') return [];
  const keys = new Set<string>();
  for (const rule of def.rules) for (const key of rule.cohortKeys) keys.add(key);
  return [...keys];
}
