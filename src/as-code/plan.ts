/**
 * The plan of `rules plan|apply`: for every file, whether its definition would be created,
 * updated (and which fields) or left unchanged in a project. The stored document is compared
 * with the file's, ignoring bookkeeping (versions, times, states, member counts), so a
 * directory applied once plans "unchanged" everywhere.
 */
import { AppError } from '../errors.js';
import type { CohortRef } from '../cohorts/references.js';
import { regexPatterns } from '../cohorts/cohort-definition.js';
import { formatPath } from '../core/index.js';
import type { DefinitionView } from '../services/definitions.js';
import type { AdminPrincipal } from '../services/projects.js';
import { canonicalJson } from './canonical-json.js';
import { jsonDiff } from './json-diff.js';
import type { RuleKind } from './load.js';
import { validateRulesDir, type RuleSet } from './validate.js';
import type { CohortSpec } from './validate-cohort.js';
import { documentOf, type DefinitionSpec } from './validate-definition.js';
import type { Cohort, StaticMember } from '../domain/cohort.js';
import type { Project } from '../domain/project.js';
import type { CohortKind } from '../domain/cohort.js';

/** What planning and applying read and write: the admin API's own services, narrowed. */
export interface RulesDeps {
  projects: { get(id: number): Promise<Project | null> };
  definitions: {
    get(kind: DefinitionSpec['kind'], projectId: number, key: string): Promise<DefinitionView>;
    list(kind: DefinitionSpec['kind'], projectId: number, afterId: number, limit: number): Promise<Array<{ id: number; view: DefinitionView }>>;
    create(kind: DefinitionSpec['kind'], projectId: number, actor: string, body: unknown): Promise<DefinitionView>;
    replace(kind: DefinitionSpec['kind'], projectId: number, actor: string, key: string, body: unknown, expectedVersion: number): Promise<DefinitionView>;
    kill(kind: DefinitionSpec['kind'], projectId: number, actor: string, key: string): Promise<DefinitionView>;
    remove(kind: DefinitionSpec['kind'], projectId: number, actor: string, key: string): Promise<void>;
  };
  /** cohort lifecycle (archive, for `--prune`) */
  lifecycle: { apply(who: Principal, projectId: number, key: string, action: 'archive'): Promise<unknown> };
  cohorts: {
    get(projectId: number, key: string): Promise<Cohort>;
    list(projectId: number, opts: { includeArchived: boolean; afterId: number; limit: number }): Promise<Cohort[]>;
    create(who: Principal, project: { id: number; tier: Project['tier'] }, input: { key: string; name: string; description?: string; kind: CohortKind; definition?: unknown; refreshIntervalS?: number | null }): Promise<Cohort>;
    update(who: Principal, project: { id: number; tier: Project['tier'] }, key: string, input: { name?: string; description?: string; definition?: unknown; refreshIntervalS?: number | null }, expectedVersion: number | null): Promise<Cohort>;
  };
  cohortStore: { refs(projectId: number): Promise<Map<string, CohortRef>>; regexError(pattern: string): Promise<string | null> };
  members: {
    list(projectId: number, key: string, after: string | null, limit: number): Promise<StaticMember[]>;
    replace(who: Principal, projectId: number, key: string, upload: { kind: 'json'; ids: unknown[] }): Promise<unknown>;
  };
}

/** The admin principal changes are made as (its `actor` goes to the audit log). */
export type Principal = AdminPrincipal;

/** One file's fate. `currentVersion`: the stored version (cohorts: definition_version) to update from. */
export interface PlannedChange {
  kind: RuleKind;
  key: string;
  file: string;
  action: 'create' | 'update' | 'unchanged';
  /** top-level fields that differ (update), e.g. `rules`, `definition`, `members` */
  fields: string[];
  /** the first differences in detail, e.g. `rules[1].rollout: 50 -> 75` */
  details: string[];
  /** static cohorts with a CSV: ids to add and remove to match it */
  members: { add: number; remove: number; total: number } | null;
  currentVersion: number | null;
  spec: CohortSpec | DefinitionSpec;
}

/** A plan for one project. Applicable only when `set.issues` is empty. */
export interface Plan {
  project: Project;
  set: RuleSet;
  changes: PlannedChange[];
  /** definitions of the project that no file names: apply leaves them as they are, `--prune` removes them */
  untracked: Array<{ kind: RuleKind; key: string }>;
  /** planned with `--prune`: untracked definitions are deleted (cohorts archived) by apply */
  prune: boolean;
}

const isNotFound = (err: unknown) => err instanceof AppError && err.code === 'not_found';

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

async function allMembers(deps: RulesDeps, projectId: number, key: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let after: string | null = null; ; ) {
    const page = await deps.members.list(projectId, key, after, 1000);
    for (const m of page) ids.add(m.distinctId);
    if (page.length < 1000) return ids;
    after = page[page.length - 1].distinctId;
  }
}

async function planCohort(deps: RulesDeps, set: RuleSet, projectId: number, spec: CohortSpec): Promise<PlannedChange> {
  const base = { kind: 'cohort' as const, key: spec.key, file: spec.file, spec };
  for (const { pattern, path } of regexPatterns(spec.definition ?? { type: 'AND', values: [] })) {
    const error = await deps.cohortStore.regexError(pattern);
    if (error) set.issues.push({ file: spec.file, at: formatPath(['definition', ...path]), message: `invalid regex: ${error}` });
  }
  const current = await orNull(deps.cohorts.get(projectId, spec.key));
  if (!current) return { ...base, action: 'create', fields: [], details: [], members: spec.members ? { add: spec.members.ids.length, remove: 0, total: spec.members.ids.length } : null, currentVersion: null };
  if (current.kind !== spec.kind) set.issues.push({ file: spec.file, at: 'kind', message: `cohort ${spec.key} is ${current.kind} in the project; a kind cannot change (use a new key)` });
  if (current.state === 'archived') set.issues.push({ file: spec.file, message: `cohort ${spec.key} is archived in the project: restore it before applying` });
  const fields: string[] = [];
  if (current.name !== spec.name) fields.push('name');
  if (current.description !== spec.description) fields.push('description');
  if (current.refreshIntervalS !== spec.refreshIntervalS) fields.push('refresh_interval_s');
  if (spec.kind === 'dynamic' && canonicalJson(current.definition) !== canonicalJson(spec.definition)) fields.push('definition');
  let members: PlannedChange['members'] = null;
  if (spec.members && current.kind === 'static') {
    const have = await allMembers(deps, projectId, spec.key);
    const want = new Set(spec.members.ids);
    const add = spec.members.ids.filter((id) => !have.has(id)).length;
    const remove = [...have].filter((id) => !want.has(id)).length;
    members = { add, remove, total: want.size };
    if (add || remove) fields.push('members');
  }
  const details = jsonDiff(
    { name: current.name, description: current.description, refresh_interval_s: current.refreshIntervalS, definition: spec.kind === 'dynamic' ? current.definition : null },
    { name: spec.name, description: spec.description, refresh_interval_s: spec.refreshIntervalS, definition: spec.definition },
    50,
  );
  return { ...base, action: fields.length ? 'update' : 'unchanged', fields, details, members, currentVersion: current.definitionVersion };
}

async function planDefinition(deps: RulesDeps, projectId: number, spec: DefinitionSpec): Promise<PlannedChange> {
  const base = { kind: spec.kind, key: spec.key, file: spec.file, members: null, spec };
  const current = await orNull(deps.definitions.get(spec.kind, projectId, spec.key));
  if (!current) return { ...base, action: 'create', fields: [], details: [], currentVersion: null };
  const stored = documentOf(current);
  const keys = [...new Set([...Object.keys(stored), ...Object.keys(spec.document)])].sort();
  const fields = keys.filter((k) => canonicalJson(stored[k]) !== canonicalJson(spec.document[k]));
  return { ...base, action: fields.length ? 'update' : 'unchanged', fields, details: jsonDiff(stored, spec.document, 50), currentVersion: current.version };
}

/** Every non-archived cohort and every flag, config and survey of the project that no file of `set` defines. */
async function untracked(deps: RulesDeps, set: RuleSet, projectId: number): Promise<Plan['untracked']> {
  const inFiles = new Set([...set.cohorts.map((c) => `cohort:${c.key}`), ...set.definitions.map((d) => `${d.kind}:${d.key}`)]);
  const out: Plan['untracked'] = [];
  for (let afterId = 0; ; ) {
    const page = await deps.cohorts.list(projectId, { includeArchived: false, afterId, limit: 500 });
    out.push(...page.map((c) => ({ kind: 'cohort' as const, key: c.key })));
    if (page.length < 500) break;
    afterId = page[page.length - 1].id;
  }
  for (const kind of ['flag', 'config', 'survey'] as const) {
    for (let afterId = 0; ; ) {
      const page = await deps.definitions.list(kind, projectId, afterId, 500);
      out.push(...page.map((d) => ({ kind, key: d.view.key })));
      if (page.length < 500) break;
      afterId = page[page.length - 1].id;
    }
  }
  return out.filter((u) => !inFiles.has(`${u.kind}:${u.key}`));
}

/**
 * Validates `dir` against project `projectId` and plans every file. With `prune`, a kept
 * definition that references a cohort the prune would archive is a problem. Throws
 * not_found for an unknown project.
 */
export async function planRules(deps: RulesDeps, dir: string, projectId: number, opts: { prune?: boolean } = {}): Promise<Plan> {
  const project = await deps.projects.get(projectId);
  if (!project) throw new AppError('not_found', `project ${projectId} not found`);
  const set = await validateRulesDir(dir, { byKey: await deps.cohortStore.refs(projectId) });
  const changes: PlannedChange[] = [];
  // Files with problems are already out of the set; plan the rest so every problem shows.
  for (const spec of set.cohorts) changes.push(await planCohort(deps, set, projectId, spec));
  for (const spec of set.definitions) changes.push(await planDefinition(deps, projectId, spec));
  const left = await untracked(deps, set, projectId);
  const prune = opts.prune ?? false;
  if (prune) {
    const archived = new Set(left.filter((u) => u.kind === 'cohort').map((u) => u.key));
    for (const d of set.definitions) {
      for (const r of d.cohortRefs) if (archived.has(r.key)) set.issues.push({ file: d.file, at: r.at, message: `cohort ${JSON.stringify(r.key)} is not in the files: --prune would archive it` });
    }
    for (const c of set.cohorts) {
      for (const r of c.refs) if (archived.has(r.key)) set.issues.push({ file: c.file, at: r.at, message: `cohort ${JSON.stringify(r.key)} is not in the files: --prune would archive it` });
    }
  }
  return { project, set, changes, untracked: left, prune };
}
