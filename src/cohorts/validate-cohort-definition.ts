/**
 * Semantic checks of a definition after zod has checked its structure: values that fit
 * their operator ("incompatible types"), event wildcards, counts, windows and size limits.
 * Pure; regexes are checked against PostgreSQL's engine by the cohorts service, and cohort
 * references (existence, archived, cycles) by references.ts.
 */
import { formatPath, type FieldIssue } from '../errors.js';
import { cohortNodeSchema, walkCohortDefinition, type CohortDefinition, type PropertyTest } from './cohort-definition.js';
import { isDateInput, isDuration, isRelativeDate, resolveDate } from './dates.js';

/** Deepest nesting of groups allowed (the root is depth 1). */
export const MAX_DEPTH = 10;
/** Most nodes (groups and filters) in one definition; keeps compiled SQL bounded. */
export const MAX_NODES = 200;

type Path = Array<string | number>;

const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === undefined ? 'nothing' : typeof v);

/** Checks a property test's value against its operator; pushes issues at `<path>.value`. */
function checkPropertyTest(t: PropertyTest, path: Path, add: (p: Path, m: string) => void): void {
  const at = [...path, 'value'];
  const v = t.value;
  switch (t.operator) {
    case 'is_set':
    case 'is_not_set':
      if (v !== undefined) add(at, `${t.operator} takes no value`);
      return;
    case 'eq':
    case 'neq':
      if (v === undefined || Array.isArray(v)) add(at, `${t.operator} needs a string, number or boolean, got ${typeOf(v)} (use in / not_in for lists)`);
      return;
    case 'in':
    case 'not_in':
      if (!Array.isArray(v) || v.length === 0) add(at, `${t.operator} needs a non-empty list of strings, numbers or booleans, got ${typeOf(v)}`);
      return;
    case 'contains':
    case 'icontains':
    case 'regex':
    case 'not_regex':
      if (typeof v !== 'string' || v.length === 0) add(at, `${t.operator} needs a non-empty string, got ${typeOf(v)}`);
      return;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (typeof v !== 'number') add(at, `${t.operator} needs a number, got ${typeOf(v)} (use before / after for dates)`);
      return;
    case 'before':
    case 'after':
      if (typeof v === 'boolean' || Array.isArray(v) || !isDateInput(v)) {
        add(at, `${t.operator} needs a date: unix ms, ISO 8601 (2024-05-01T00:00:00Z) or relative (-30d, -12h, -2w)`);
      }
      return;
  }
}

function checkBehavioral(node: Extract<CohortDefinition, { type: 'behavioral' }>, path: Path, add: (p: Path, m: string) => void): void {
  const star = node.event.indexOf('*');
  if (star !== -1 && star !== node.event.length - 1) add([...path, 'event'], 'only a trailing * is a wildcard (prefix match, e.g. core_action_*)');
  if (node.count) {
    const { op, value } = node.count;
    if (op === 'gte' && value < 1) add([...path, 'count', 'value'], 'at least (gte) needs 1 or more; gte 0 matches everyone');
  }
  const w = node.window;
  if (w) {
    if (w.last !== undefined) {
      if (w.from !== undefined || w.to !== undefined) add([...path, 'window'], 'use either last or from/to, not both');
      else if (!isDuration(w.last)) add([...path, 'window', 'last'], 'must be a duration like 30d, 12h or 2w');
    } else if (w.from === undefined && w.to === undefined) {
      add([...path, 'window'], 'needs last, or from and/or to');
    } else {
      for (const end of ['from', 'to'] as const) {
        const v = w[end];
        if (v !== undefined && !isDateInput(v)) add([...path, 'window', end], 'must be a date: unix ms, ISO 8601 or relative (-30d)');
      }
      if (w.from !== undefined && w.to !== undefined && isDateInput(w.from) && isDateInput(w.to) && !isRelativeDate(w.from) && !isRelativeDate(w.to)) {
        if (resolveDate(w.from, 0) > resolveDate(w.to, 0)) add([...path, 'window', 'to'], 'must not be before from');
      }
    }
  }
  node.where?.forEach((t, i) => checkPropertyTest(t, [...path, 'where', i], add));
}

/**
 * Validates a definition document. Returns the typed definition, or issues with paths
 * prefixed by `prefix` (e.g. `definition.values[1].value`).
 */
export function validateCohortDefinition(input: unknown, prefix: Path = ['definition']): { definition: CohortDefinition; issues: [] } | { definition?: undefined; issues: FieldIssue[] } {
  const parsed = cohortNodeSchema.safeParse(input);
  if (!parsed.success) return { issues: parsed.error.issues.map((i) => ({ path: formatPath([...prefix, ...i.path]), message: i.message })) };
  const issues: FieldIssue[] = [];
  const add = (p: Path, message: string) => issues.push({ path: formatPath([...prefix, ...p]), message });
  let nodes = 0;
  walkCohortDefinition(parsed.data, (node, path, depth) => {
    nodes++;
    if (depth > MAX_DEPTH && (node.type === 'AND' || node.type === 'OR')) add(path, `groups nest at most ${MAX_DEPTH} deep`);
    if (node.type === 'person') checkPropertyTest(node, path, add);
    if (node.type === 'behavioral') checkBehavioral(node, path, add);
  });
  if (nodes > MAX_NODES) add([], `at most ${MAX_NODES} conditions in one definition (found ${nodes})`);
  return issues.length ? { issues } : { definition: parsed.data, issues: [] };
}
