/**
 * Semantic checks of a definition after zod has checked its structure: values that fit
 * their operator ("incompatible types"), event wildcards, counts, windows and size limits.
 * Pure; regexes are checked against PostgreSQL's engine by the cohorts service, and cohort
 * references (existence, archived, cycles) by references.ts.
 */
import { formatPath, type FieldIssue } from '../errors.js';
import { cohortNodeSchema, isLifecycleFilter, walkCohortDefinition, type CohortDefinition, type EventMatch, type EventWindow, type LifecycleFilter, type PropertyTest } from './cohort-definition.js';
import { regexHazard } from './regex-safety.js';
import { isDateInput, isDuration, isFixedDuration, isRelativeDate, resolveDate } from './dates.js';

/** Deepest nesting of groups allowed (the root is depth 1). */
export const MAX_DEPTH = 10;
/** Most nodes (groups and filters) in one definition; keeps compiled SQL bounded. */
export const MAX_NODES = 200;
/** Largest definition, bytes of its JSON (PRODUCT.md 12). */
export const MAX_DEFINITION_BYTES = 64 * 1024;

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
      // A list means "contains any of them".
      if (Array.isArray(v)) {
        if (v.length === 0) add(at, `${t.operator} needs a non-empty string or a non-empty list of them, got an empty list`);
        v.forEach((x, i) => {
          if (typeof x !== 'string' || x.length === 0) add([...at, i], `${t.operator} needs non-empty strings in its list, got ${typeOf(x)}`);
        });
      } else if (typeof v !== 'string' || v.length === 0) add(at, `${t.operator} needs a non-empty string or a list of them, got ${typeOf(v)}`);
      return;
    case 'regex':
    case 'not_regex': {
      if (typeof v !== 'string' || v.length === 0) {
        add(at, `${t.operator} needs a non-empty string, got ${typeOf(v)}`);
        return;
      }
      const hazard = regexHazard(v);
      if (hazard) add(at, `invalid regex: ${hazard}`);
      return;
    }
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

/** Checks one event window (`last`, `from`/`to` or `calendar`, exactly one form); issues at `path`. */
function checkWindow(w: EventWindow, path: Path, add: (p: Path, m: string) => void): void {
  const forms = [w.last !== undefined, w.from !== undefined || w.to !== undefined, w.calendar !== undefined].filter(Boolean).length;
  if (forms > 1) {
    add(path, 'use one of last, from/to or calendar');
    return;
  }
  if (w.calendar !== undefined) return; // zod checked the name
  if (w.last !== undefined) {
    if (!isDuration(w.last)) add([...path, 'last'], 'must be a duration like 30d, 12h, 2w, 3m (months) or 1y');
    return;
  }
  if (w.from === undefined && w.to === undefined) {
    add(path, 'needs last, from and/or to, or calendar');
    return;
  }
  for (const end of ['from', 'to'] as const) {
    const v = w[end];
    if (v !== undefined && !isDateInput(v)) add([...path, end], 'must be a date: unix ms, ISO 8601 or relative (-30d, -3m)');
  }
  if (w.from !== undefined && w.to !== undefined && isDateInput(w.from) && isDateInput(w.to) && !isRelativeDate(w.from) && !isRelativeDate(w.to)) {
    if (resolveDate(w.from, 0) > resolveDate(w.to, 0)) add([...path, 'to'], 'must not be before from');
  }
}

/** The event name and its where-tests of a behavioural or lifecycle filter (or a sequence step). */
function checkEventMatch(m: EventMatch, path: Path, add: (p: Path, m: string) => void): void {
  const star = m.event.indexOf('*');
  if (star !== -1 && star !== m.event.length - 1) add([...path, 'event'], 'only a trailing * is a wildcard (prefix match, e.g. core_action_*)');
  m.where?.forEach((t, i) => checkPropertyTest(t, [...path, 'where', i], add));
}

function checkBehavioral(node: Extract<CohortDefinition, { type: 'behavioral' }>, path: Path, add: (p: Path, m: string) => void): void {
  checkEventMatch(node, path, add);
  if (node.count) {
    const { op, value } = node.count;
    if (op === 'gte' && value < 1) add([...path, 'count', 'value'], 'at least (gte) needs 1 or more; gte 0 matches everyone');
  }
  if (node.window) checkWindow(node.window, [...path, 'window'], add);
}

/** first_time, stopped, restarted, regularly, sequence, aggregate. */
function checkLifecycle(node: LifecycleFilter, path: Path, add: (p: Path, m: string) => void): void {
  switch (node.type) {
    case 'first_time':
      checkEventMatch(node, path, add);
      checkWindow(node.window, [...path, 'window'], add);
      return;
    case 'stopped':
      checkEventMatch(node, path, add);
      checkWindow(node.baseline, [...path, 'baseline'], add);
      checkWindow(node.recent, [...path, 'recent'], add);
      return;
    case 'restarted':
      checkEventMatch(node, path, add);
      checkWindow(node.baseline, [...path, 'baseline'], add);
      checkWindow(node.gap, [...path, 'gap'], add);
      checkWindow(node.recent, [...path, 'recent'], add);
      return;
    case 'regularly':
      checkEventMatch(node, path, add);
      if (node.min_periods > node.periods) add([...path, 'min_periods'], `must not exceed periods (${node.periods})`);
      return;
    case 'sequence':
      node.steps.forEach((s, i) => checkEventMatch(s, [...path, 'steps', i], add));
      if (!isFixedDuration(node.within)) add([...path, 'within'], 'must be a duration in hours, days or weeks, like 12h, 1d or 2w');
      if (node.window) checkWindow(node.window, [...path, 'window'], add);
      return;
    case 'aggregate':
      checkEventMatch(node, path, add);
      if (node.window) checkWindow(node.window, [...path, 'window'], add);
      return;
  }
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
    else if (node.type === 'behavioral') checkBehavioral(node, path, add);
    else if (isLifecycleFilter(node)) checkLifecycle(node, path, add);
  });
  if (nodes > MAX_NODES) add([], `at most ${MAX_NODES} conditions in one definition (found ${nodes})`);
  const bytes = Buffer.byteLength(JSON.stringify(parsed.data));
  if (bytes > MAX_DEFINITION_BYTES) add([], `a definition is at most ${MAX_DEFINITION_BYTES} bytes of JSON (found ${bytes})`);
  return issues.length ? { issues } : { definition: parsed.data, issues: [] };
}
