/**
 * Cohort definitions: create, read, list and edit (PRODUCT.md 6.1, 9). Definitions are
 * validated when saved (structure and types, regexes against PostgreSQL's engine,
 * references: existence, archived, cycles); every change is audited and bumps the
 * project's definitions_version. Lifecycle transitions live in cohort-lifecycle.ts.
 */
import { AppError, conflict, invalid, notFound, type FieldIssue } from '../errors.js';
import { regexPatterns, type CohortDefinition } from '../cohorts/cohort-definition.js';
import { validateCohortDefinition } from '../cohorts/validate-cohort-definition.js';
import { checkReferences } from '../cohorts/references.js';
import { TIER_INTERVAL_S } from '../domain/project.js';
import { formatPath } from '../errors.js';
import type { AdminPrincipal } from './projects.js';
import type { AuditStore } from '../ports/audit-store.js';
import type { Cohort, CohortKind, CohortPatch } from '../domain/cohort.js';
import type { CohortStore } from '../ports/cohort-store.js';
import type { Tier } from '../domain/project.js';
import type { Transactions } from '../ports/db.js';

export interface CohortsDeps {
  tx: Transactions;
  cohorts: CohortStore;
  audit: AuditStore;
  /** announces changed definitions to API processes; failures are ignored (they also poll) */
  notify: (projectId: number) => Promise<void>;
}

export interface NewCohortInput {
  key: string;
  name: string;
  description?: string;
  kind: CohortKind;
  /** required for dynamic cohorts, absent for static ones */
  definition?: unknown;
  refreshIntervalS?: number | null;
}

export interface CohortPatchInput {
  name?: string;
  description?: string;
  definition?: unknown;
  refreshIntervalS?: number | null;
}

/** What the audit log keeps of a cohort (never its members). */
const auditView = (c: Cohort) => ({ key: c.key, name: c.name, description: c.description, kind: c.kind, definition: c.definition, state: c.state, refresh_interval_s: c.refreshIntervalS, definition_version: c.definitionVersion });

const refused = (issues: FieldIssue[], code?: string) =>
  invalid(`${issues[0].path}: ${issues[0].message}`, code ? { code, issues } : { issues });

export function createCohortsService(deps: CohortsDeps) {
  const { tx, cohorts, audit } = deps;
  const notify = (projectId: number) => deps.notify(projectId).catch(() => {});

  /** Structure, types and regexes of a definition; throws 400 naming the path. */
  async function checkDefinition(input: unknown): Promise<CohortDefinition> {
    const result = validateCohortDefinition(input);
    if (!result.definition) throw refused(result.issues);
    const issues: FieldIssue[] = [];
    for (const { pattern, path } of regexPatterns(result.definition)) {
      const error = await cohorts.regexError(pattern);
      if (error) issues.push({ path: formatPath(['definition', ...path]), message: `invalid regex: ${error}` });
    }
    if (issues.length) throw refused(issues, 'invalid_regex');
    return result.definition;
  }

  function checkInterval(tier: Tier, seconds: number | null | undefined): void {
    const floor = TIER_INTERVAL_S[tier];
    if (seconds != null && seconds < floor) {
      throw refused([{ path: 'body.refresh_interval_s', message: `must be at least ${floor} s on the ${tier} tier (a cohort may refresh slower than its tier, never faster)` }]);
    }
  }

  async function get(projectId: number, key: string): Promise<Cohort> {
    const c = await cohorts.byKey(projectId, key);
    if (!c) throw notFound(`cohort ${key} not found`);
    return c;
  }

  return {
    get,

    /** A keyset page by id; `search` matches a case-insensitive substring of the key or the name. */
    list: (projectId: number, opts: { includeArchived: boolean; afterId: number; limit: number; search?: string }) => cohorts.list(projectId, opts),

    /** How many cohorts of the project are in each state (archived included). */
    countByState: (projectId: number) => cohorts.countByState(projectId),

    /** Creates a cohort in state `building`, due for its first materialization now. */
    async create(who: AdminPrincipal, project: { id: number; tier: Tier }, input: NewCohortInput): Promise<Cohort> {
      checkInterval(project.tier, input.refreshIntervalS);
      let definition: CohortDefinition | null = null;
      if (input.kind === 'dynamic') {
        if (input.definition === undefined || input.definition === null) throw refused([{ path: 'definition', message: 'a dynamic cohort needs a definition' }]);
        definition = await checkDefinition(input.definition);
      } else if (input.definition !== undefined && input.definition !== null) {
        throw refused([{ path: 'definition', message: 'a static cohort has no definition: add members through /members' }]);
      }
      try {
        const created = await tx.run(async (db) => {
          // Locks the project row: definition saves of one project are serialized, so two
          // concurrent saves cannot create a reference cycle together.
          await cohorts.bumpDefinitionsVersion(project.id, db);
          if (definition) {
            const issues = checkReferences(input.key, definition, await cohorts.refs(project.id, db));
            if (issues.length) throw refused(issues);
          }
          const c = await cohorts.insert(
            { projectId: project.id, key: input.key, name: input.name, description: input.description ?? '', kind: input.kind, definition, refreshIntervalS: input.refreshIntervalS ?? null, createdByKeyId: who.keyId },
            db,
          );
          await audit.write({ projectId: project.id, actor: who.actor, action: 'create', entityKind: 'cohort', entityKey: c.key, after: auditView(c) }, db);
          return c;
        });
        await notify(project.id);
        return created;
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw conflict(`cohort ${input.key} already exists`);
        throw err;
      }
    },

    /**
     * Edits name, description, definition or refresh interval. `expectedVersion` (If-Match
     * or `definition_version`) must match the stored definition_version, else 409.
     * A new definition is due for materialization now; the old members stay live meanwhile.
     */
    async update(who: AdminPrincipal, project: { id: number; tier: Tier }, key: string, input: CohortPatchInput, expectedVersion: number | null): Promise<Cohort> {
      checkInterval(project.tier, input.refreshIntervalS);
      const definition = input.definition === undefined ? undefined : await checkDefinition(input.definition);
      const updated = await tx.run(async (db) => {
        await cohorts.bumpDefinitionsVersion(project.id, db);
        const before = await cohorts.lockByKey(project.id, key, db);
        if (!before) throw notFound(`cohort ${key} not found`);
        if (before.state === 'archived') throw conflict(`cohort ${key} is archived: restore it before editing`);
        if (expectedVersion !== null && expectedVersion !== before.definitionVersion) {
          throw conflict(`cohort ${key} was changed meanwhile: definition_version is ${before.definitionVersion}, not ${expectedVersion}`, { definition_version: before.definitionVersion });
        }
        if (definition && before.kind === 'static') throw refused([{ path: 'definition', message: 'a static cohort has no definition: edit its members through /members' }]);
        if (definition) {
          const issues = checkReferences(key, definition, await cohorts.refs(project.id, db));
          if (issues.length) throw refused(issues);
        }
        const patch: CohortPatch = { name: input.name, description: input.description, definition, refreshIntervalS: input.refreshIntervalS };
        const after = await cohorts.update(project.id, before.id, patch, null, db);
        if (!after) throw new AppError('internal', 'cohort vanished during an update');
        await audit.write({ projectId: project.id, actor: who.actor, action: 'update', entityKind: 'cohort', entityKey: key, before: auditView(before), after: auditView(after) }, db);
        return after;
      });
      await notify(project.id);
      return updated;
    },
  };
}

export type CohortsService = ReturnType<typeof createCohortsService>;
