import { AppError, conflict, invalid, notFound } from '../errors.js';
import { compileDefinition, flagdKeySchema, isFlagdFormat, keySchema } from '../core/index.js';
import type { AuditStore } from '../ports/audit-store.js';
import { withHashingPinned, type DefinitionKind, type StoredDefinition } from '../domain/definition.js';
import type { DefinitionStore } from '../ports/definition-store.js';
import type { Db, Transactions } from '../ports/db.js';

/** A definition as the admin API shows it: the document, flat, plus bookkeeping. */
export type DefinitionView = Record<string, unknown> & { key: string; version: number; created_at: string; updated_at: string };

export const view = (d: StoredDefinition): DefinitionView => ({
  ...d.definition,
  key: d.key,
  version: d.version,
  created_at: d.createdAt,
  updated_at: d.updatedAt,
});

export interface DefinitionsDeps {
  tx: Transactions;
  definitions: DefinitionStore;
  audit: AuditStore;
  /** tells every API process that a project's definitions changed (pub/sub) */
  notify(projectId: number): Promise<void>;
  /**
   * Lint on save (as-code/lint.ts, wired by the composition): errors refuse the write (400),
   * warnings are answered beside it. Absent: no lint.
   */
  lint?(kind: DefinitionKind, projectId: number, key: string, doc: Record<string, unknown>): Promise<LintOutcome>;
}

/** What lint says of a document; each finding has a path inside it. */
export interface LintOutcome {
  errors: Array<{ path: string; message: string }>;
  warnings: Array<{ path: string; message: string }>;
}

/** A saved definition and, when lint found any, its warnings. */
export type SavedDefinitionView = DefinitionView & { warnings?: LintOutcome['warnings'] };

// Fields the API owns; a document never stores them. `warnings` is what lint answered beside
// the last save: a client that sends a saved body back (the console does) must not fail on it.
const BOOKKEEPING = ['key', 'version', 'created_at', 'updated_at', 'warnings'];

function documentOf(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body: must be a JSON object');
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!BOOKKEEPING.includes(k)) doc[k] = v;
  return doc;
}

/** Compiles `doc` as it would be served; refuses with every problem and its path. */
function check(kind: DefinitionKind, key: string, version: number, doc: Record<string, unknown>): void {
  const result = compileDefinition(kind, { ...doc, key, version });
  if (!result.ok) {
    const first = result.errors[0];
    throw new AppError('invalid_request', `${first.path || '(definition)'}: ${first.message}`, { issues: result.errors });
  }
}

/** Turns a definition off: `enabled: false`, or `state: DISABLED` for flagd-format flags. */
function killed(doc: Record<string, unknown>): Record<string, unknown> {
  return isFlagdFormat(doc) ? { ...doc, state: 'DISABLED' } : { ...doc, enabled: false };
}

/**
 * The key rule of a new definition: flagd-format flags take any key flagd accepts (any
 * non-empty string, spaces and non-ASCII included: core flagdKeySchema); everything else
 * the stricter native key (letters, digits and _ . : - /).
 */
function keyRule(kind: DefinitionKind, body: unknown) {
  return kind === 'flag' && isFlagdFormat(body) ? flagdKeySchema : keySchema;
}

/**
 * Flags, configs and surveys (PRODUCT.md 7.1): create, read, list, replace with optimistic
 * concurrency, kill switch, delete. A saved native document always carries its `salt` and
 * `hash_version` (defaults written in by `withHashingPinned`). Every change bumps the
 * version, writes the audit log in the same transaction, bumps the project's
 * definitions_version and notifies API processes.
 */
export function createDefinitionsService(deps: DefinitionsDeps) {
  const { tx, definitions, audit } = deps;

  async function change(
    kind: DefinitionKind,
    projectId: number,
    actor: string,
    action: string,
    key: string,
    fn: (db: Db) => Promise<{ before: StoredDefinition | null; after: StoredDefinition | null }>,
  ) {
    const result = await tx.run(async (db) => {
      const r = await fn(db);
      await audit.write({ projectId, actor, action, entityKind: kind, entityKey: key, before: r.before ? view(r.before) : undefined, after: r.after ? view(r.after) : undefined }, db);
      await definitions.bumpProject(projectId, db);
      return r;
    });
    await deps.notify(projectId).catch(() => {});
    return result;
  }

  /** Runs lint; throws 400 on errors, returns the warnings (or undefined when none). */
  async function lint(kind: DefinitionKind, projectId: number, key: string, doc: Record<string, unknown>) {
    if (!deps.lint) return undefined;
    const found = await deps.lint(kind, projectId, key, doc);
    if (found.errors.length) throw new AppError('invalid_request', `${found.errors[0].path}: ${found.errors[0].message}`, { issues: found.errors });
    return found.warnings.length ? found.warnings : undefined;
  }

  const withWarnings = (v: DefinitionView, warnings: LintOutcome['warnings'] | undefined): SavedDefinitionView => (warnings ? { ...v, warnings } : v);

  async function locked(kind: DefinitionKind, projectId: number, key: string, db: Db) {
    const current = await definitions.lock(kind, projectId, key, db);
    if (!current) throw notFound(`${kind} ${JSON.stringify(key)} not found`);
    return current;
  }

  return {
    async get(kind: DefinitionKind, projectId: number, key: string): Promise<DefinitionView> {
      const d = await definitions.get(kind, projectId, key);
      if (!d) throw notFound(`${kind} ${JSON.stringify(key)} not found`);
      return view(d);
    },

    list: async (kind: DefinitionKind, projectId: number, afterId: number, limit: number) =>
      (await definitions.list(kind, projectId, afterId, limit)).map((d) => ({ id: d.id, view: view(d) })),

    async create(kind: DefinitionKind, projectId: number, actor: string, body: unknown): Promise<SavedDefinitionView> {
      const key = keyRule(kind, body).safeParse((body as { key?: unknown } | null)?.key);
      if (!key.success) throw invalid(`key: ${key.error.issues[0].message}`, { issues: [{ path: 'key', message: key.error.issues[0].message }] });
      const given = documentOf(body);
      check(kind, key.data, 1, given);
      const warnings = await lint(kind, projectId, key.data, given);
      const doc = withHashingPinned(kind, key.data, given);
      const { after } = await change(kind, projectId, actor, 'create', key.data, async (db) => {
        const inserted = await definitions.insert(kind, projectId, key.data, doc, db);
        if (!inserted) throw conflict(`${kind} ${JSON.stringify(key.data)} already exists`);
        return { before: null, after: inserted };
      });
      return withWarnings(view(after!), warnings);
    },

    /**
     * Replaces a definition. `expectedVersion` (If-Match or the body's `version`) must be the
     * current version; a stale one answers 409 with the current version in details.
     */
    async replace(kind: DefinitionKind, projectId: number, actor: string, key: string, body: unknown, expectedVersion: number): Promise<SavedDefinitionView> {
      const bodyKey = (body as { key?: unknown } | null)?.key;
      if (bodyKey !== undefined && bodyKey !== key) throw invalid(`key: must match the path (${JSON.stringify(key)})`);
      const doc = documentOf(body);
      let warnings: LintOutcome['warnings'] | undefined;
      const { after } = await change(kind, projectId, actor, 'update', key, async (db) => {
        const current = await locked(kind, projectId, key, db);
        if (current.version !== expectedVersion) {
          throw conflict(`version ${expectedVersion} is stale: ${kind} ${JSON.stringify(key)} is at version ${current.version}`, { current_version: current.version });
        }
        check(kind, key, current.version + 1, doc);
        warnings = await lint(kind, projectId, key, doc);
        return { before: current, after: await definitions.replace(kind, projectId, key, withHashingPinned(kind, key, doc), db) };
      });
      return withWarnings(view(after!), warnings);
    },

    /** Kill switch: serves the off variant (flags) or nothing (configs, surveys) at once. */
    async kill(kind: DefinitionKind, projectId: number, actor: string, key: string): Promise<DefinitionView> {
      const { after } = await change(kind, projectId, actor, 'kill', key, async (db) => {
        const current = await locked(kind, projectId, key, db);
        return { before: current, after: await definitions.replace(kind, projectId, key, withHashingPinned(kind, key, killed(current.definition)), db) };
      });
      return view(after!);
    },

    async remove(kind: DefinitionKind, projectId: number, actor: string, key: string): Promise<void> {
      await change(kind, projectId, actor, 'delete', key, async (db) => {
        const current = await locked(kind, projectId, key, db);
        await definitions.remove(kind, projectId, key, db);
        return { before: current, after: null };
      });
    },
  };
}

export type DefinitionsService = ReturnType<typeof createDefinitionsService>;
