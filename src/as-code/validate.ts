/**
 * Validates a whole rules directory: every file on its own (validate-definition.ts,
 * validate-cohort.ts), then across files: duplicate keys, and cohort references (exist,
 * not archived, no cycles) against the other files and, when planning, the project.
 * Every problem is collected, so one run lists them all.
 */
import type { CohortRef } from '../cohorts/references.js';
import { checkReferences } from '../cohorts/references.js';
import { flagdPathInFile, loadRulesDir, type RuleFile, type RuleIssue, type RuleKind } from './load.js';
import { validateCohortFile, type CohortSpec } from './validate-cohort.js';
import { validateDefinitionFile, type DefinitionSpec } from './validate-definition.js';

/** A validated rules directory. Apply only when `issues` is empty. */
export interface RuleSet {
  dir: string;
  cohorts: CohortSpec[];
  definitions: DefinitionSpec[];
  /** problems: nothing may be applied while there is one */
  issues: RuleIssue[];
  /** worth saying, but not blocking (e.g. a reference to a cohort defined only in the project) */
  warnings: RuleIssue[];
  /** keys of cohort files that are invalid: references to them are not reported again */
  invalidCohortKeys: Set<string>;
}

/** What a project already holds, for reference checks while planning. */
export interface ProjectCohorts {
  byKey: ReadonlyMap<string, CohortRef>;
}

/**
 * Loads and checks `dir`. With `project` (planning), references must resolve in the files
 * or the project; without (offline validation), references outside the files are warnings.
 */
export async function validateRulesDir(dir: string, project: ProjectCohorts | null = null): Promise<RuleSet> {
  const { files, csvFiles, issues, warnings } = await loadRulesDir(dir);
  const set: RuleSet = { dir, cohorts: [], definitions: [], issues, warnings, invalidCohortKeys: new Set() };
  const usedCsv = new Set<string>();
  const firstFile = new Map<string, string>();
  const duplicate = (kind: RuleKind, key: string, file: string, at = 'key'): boolean => {
    const id = `${kind}:${key}`;
    const first = firstFile.get(id);
    if (first) set.issues.push({ file, at, message: `${kind} ${JSON.stringify(key)} is already defined in ${first}` });
    else firstFile.set(id, file);
    return first !== undefined;
  };
  for (const f of files) {
    if (f.kind === 'cohort') {
      const r = await validateCohortFile(f);
      set.issues.push(...r.issues);
      if (r.csvFile) usedCsv.add(r.csvFile);
      if (r.spec && !duplicate('cohort', r.spec.key, f.file)) set.cohorts.push(r.spec);
      if (!r.spec && typeof f.doc.key === 'string') set.invalidCohortKeys.add(f.doc.key);
    } else {
      const r = validateDefinitionFile(f as RuleFile & { kind: 'flag' | 'config' | 'survey' });
      set.issues.push(...r.issues);
      const at = f.flagd ? flagdPathInFile(f.flagd.flagKey, 'key') : 'key';
      if (r.spec && !duplicate(r.spec.kind, r.spec.key, f.file, at)) set.definitions.push(r.spec);
    }
  }
  for (const csv of csvFiles.keys()) {
    if (!usedCsv.has(csv)) set.warnings.push({ file: csv, message: 'not named by any static cohort file (members_csv); ignored' });
  }
  checkCohortReferences(set, project);
  // Stable report: by file, then in the order found; a flagd document's shared part
  // (`$evaluators`, `metadata`) is checked with each of its flags but reported once.
  const byFile = (a: RuleIssue, b: RuleIssue) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  set.issues = dedupe(set.issues).sort(byFile);
  set.warnings = dedupe(set.warnings).sort(byFile);
  return set;
}

function dedupe(issues: RuleIssue[]): RuleIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const id = `${i.file}\u0000${i.at ?? ''}\u0000${i.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Checks every cohort reference of `set` against its own cohorts and, when given, the
 * project's: unknown keys are issues with a project, warnings without; archived
 * targets and cycles are always issues. Adds to `set.issues` / `set.warnings`.
 */
export function checkCohortReferences(set: RuleSet, project: ProjectCohorts | null): void {
  const map = new Map<string, CohortRef>(project?.byKey ?? []);
  for (const c of set.cohorts) {
    const existing = map.get(c.key);
    map.set(c.key, { id: existing?.id ?? -1, kind: c.kind, state: existing?.state ?? 'building', definition: c.definition });
  }
  const missing = (file: string, at: string, key: string) => {
    if (set.invalidCohortKeys.has(key)) return; // its own file's problems are reported
    if (project) set.issues.push({ file, at, message: `cohort ${JSON.stringify(key)} is neither in ${set.dir} nor in the project` });
    else set.warnings.push({ file, at, message: `cohort ${JSON.stringify(key)} is not defined in ${set.dir}: it must exist in the project` });
  };
  for (const c of set.cohorts) {
    if (!c.definition) continue;
    // Unknown keys are reported once, here; the rest (self, archived, cycles) by checkReferences.
    const known = new Map(map);
    for (const r of c.refs) {
      if (!known.has(r.key)) {
        missing(c.file, r.at, r.key);
        known.set(r.key, { id: -1, kind: 'static', state: 'active', definition: null });
      }
    }
    for (const i of checkReferences(c.key, c.definition, known)) set.issues.push({ file: c.file, at: i.path, message: i.message });
  }
  for (const d of set.definitions) {
    for (const r of d.cohortRefs) {
      const target = map.get(r.key);
      if (!target) missing(d.file, r.at, r.key);
      else if (target.state === 'archived') set.issues.push({ file: d.file, at: r.at, message: `cohort ${JSON.stringify(r.key)} is archived in the project: restore it first` });
    }
  }
}
