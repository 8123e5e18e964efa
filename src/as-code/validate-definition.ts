/**
 * Checks a flag, config or survey file exactly as the admin API would when it is saved:
 * the same key schema and the same compile step (`compileDefinition`), so a file that passes
 * here is accepted by the definitions service, and every problem carries its path.
 */
import { compileDefinition, flagdKeySchema, isFlagdFormat, keySchema, joinPath } from '../core/index.js';
import { withHashingPinned } from '../domain/definition.js';
import { flagdPathInFile, type RuleFile, type RuleIssue } from './load.js';

/** Fields the API owns; a file may carry them but they are never compared or sent. */
export const BOOKKEEPING_FIELDS = ['key', 'version', 'created_at', 'updated_at', 'warnings'] as const;

/** A flag, config or survey ready to apply: the document the API stores (no bookkeeping; `salt` and `hash_version` pinned). */
export interface DefinitionSpec {
  kind: 'flag' | 'config' | 'survey';
  key: string;
  file: string;
  document: Record<string, unknown>;
  /** cohorts its rules reference, with the path of each reference in the file */
  cohortRefs: Array<{ key: string; at: string }>;
}

/** The document without bookkeeping fields (what `definitions.create` stores). */
export function documentOf(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!(BOOKKEEPING_FIELDS as readonly string[]).includes(k)) out[k] = v;
  return out;
}

/** Every `rules[i].cohorts.{all,any,none}[j]` of a native definition. */
function cohortRefsOf(doc: Record<string, unknown>): Array<{ key: string; at: string }> {
  const refs: Array<{ key: string; at: string }> = [];
  const rules = Array.isArray(doc.rules) ? doc.rules : [];
  rules.forEach((rule, i) => {
    const cohorts = (rule as { cohorts?: Record<string, unknown> } | null)?.cohorts;
    for (const list of ['all', 'any', 'none']) {
      const keys = cohorts?.[list];
      if (!Array.isArray(keys)) continue;
      keys.forEach((key, j) => {
        if (typeof key === 'string') refs.push({ key, at: joinPath(joinPath(joinPath(joinPath('rules', i), 'cohorts'), list), j) });
      });
    }
  });
  return refs;
}

/** Validates one flag/config/survey file; returns its spec or the problems found. */
export function validateDefinitionFile(f: RuleFile & { kind: 'flag' | 'config' | 'survey' }): { spec: DefinitionSpec; issues: [] } | { spec?: undefined; issues: RuleIssue[] } {
  // A path inside the file: one flag of a flagd document sits under `flags.<key>`.
  const at = (p: string) => (f.flagd ? flagdPathInFile(f.flagd.flagKey, p) : p || undefined);
  const flagd = f.kind === 'flag' && isFlagdFormat(f.doc);
  const key = (flagd ? flagdKeySchema : keySchema).safeParse(f.doc.key);
  if (!key.success) return { issues: [{ file: f.file, at: at('key'), message: f.doc.key === undefined ? 'required: the definition key' : key.error.issues[0].message }] };
  const document = documentOf(f.doc);
  const result = compileDefinition(f.kind, { ...document, key: key.data, version: 1 });
  if (!result.ok) return { issues: result.errors.map((e) => ({ file: f.file, at: at(e.path), message: e.message })) };
  // Compared and sent as the API stores it: with `salt` and `hash_version` written in.
  const stored = withHashingPinned(f.kind, key.data, document);
  return { spec: { kind: f.kind, key: key.data, file: f.file, document: stored, cohortRefs: cohortRefsOf(document) }, issues: [] };
}
