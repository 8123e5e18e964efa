/**
 * SQL for one property test on a jsonb column (`p.properties` of persons or
 * `e.properties` of events). Every key and value is a bound parameter; only the column
 * expression and fixed SQL are text. Predicates never yield NULL: a missing property makes
 * positive operators false and negative ones (neq, not_in, not_regex, is_not_set) true.
 */
import type { PropertyTest, Scalar } from './cohort-definition.js';
import { resolveDate } from './dates.js';

/** Collects bound values; `add` returns the placeholder (`$n`). */
export interface ParamSink {
  add(value: unknown): string;
}

const NUMERIC_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,4})?$/;

/**
 * The JSON values a scalar equals, with light coercion: "5" and 5 match each other,
 * "true" and true too (SDKs and CSV imports disagree on types).
 */
export function equalJsonValues(v: Scalar): Array<string | number | boolean> {
  if (typeof v === 'number' || typeof v === 'boolean') return [v, String(v)];
  const out: Array<string | number | boolean> = [v];
  if (NUMERIC_RE.test(v) && Number.isFinite(Number(v))) out.push(Number(v));
  if (v === 'true' || v === 'false') out.push(v === 'true');
  return out;
}

/** Whether the operator is the negation of a positive test (so missing properties match). */
const NEGATIVE = new Set(['neq', 'not_in', 'not_regex', 'is_not_set']);

/**
 * `pred(json, text)` on the property value, or, when the value is a JSON list, on each of its
 * elements (true when one matches): list-valued properties are never compared as JSON text.
 * `json` is a jsonb expression, `text` its text form (`->>` / `#>> '{}'`).
 */
function anyElement(col: string, key: string, pred: (json: string, text: string) => string): string {
  const value = `${col} -> ${key}`;
  const inList = `EXISTS (SELECT 1 FROM jsonb_array_elements(${value}) AS el(v) WHERE ${pred('el.v', "(el.v #>> '{}')")})`;
  return `CASE WHEN jsonb_typeof(${value}) = 'array' THEN ${inList} ELSE ${pred(value, `(${col} ->> ${key})`)} END`;
}

/**
 * A boolean SQL expression for `t` on jsonb column `col` (a fixed identifier such as
 * `p.properties`). `now` (unix ms) resolves relative dates.
 *
 * List-valued properties (`"tags": ["vip", "beta"]`): every operator tests the elements, and
 * a positive operator holds when ONE element matches (eq "vip" holds; gt 3 holds when an
 * element is a number above 3); negative operators are the negation (neq "vip": no element
 * is "vip"). is_set holds for any list, the empty one included. contains / icontains take a
 * string or a list of strings (any of them).
 */
export function propertyPredicate(t: PropertyTest, col: string, params: ParamSink, now: number): string {
  // The key is bound only when the SQL uses it (eq/neq embed it in their @> document):
  // PostgreSQL refuses a statement with a parameter it cannot type.
  let keyParam: string | undefined;
  const key = () => (keyParam ??= `${params.add(t.key)}::text`);
  const value = () => `${col} -> ${key()}`;
  let positive: string;
  // Containment on a NOT NULL column is never NULL, and must stay bare to use the GIN index.
  let nullable = true;
  switch (t.operator) {
    case 'eq':
    case 'neq': {
      // Containment (@>) uses the GIN index (jsonb_path_ops) on properties; `{k: [v]}` is
      // contained in a list holding v (and never in a scalar).
      const alts = equalJsonValues(t.value as Scalar).flatMap((alt) => [
        `${col} @> ${params.add(JSON.stringify({ [t.key]: alt }))}::jsonb`,
        `${col} @> ${params.add(JSON.stringify({ [t.key]: [alt] }))}::jsonb`,
      ]);
      positive = `(${alts.join(' OR ')})`;
      nullable = false;
      break;
    }
    case 'in':
    case 'not_in': {
      const all = params.add([...new Set((t.value as Scalar[]).flatMap(equalJsonValues).map((alt) => JSON.stringify(alt)))]);
      positive = anyElement(col, key(), (json) => `${json} = ANY(${all}::jsonb[])`);
      break;
    }
    case 'contains':
    case 'icontains': {
      // A list matches when one of its elements contains the value (an element's text, as
      // for a scalar); a scalar is read as its text form. Never the list's JSON text.
      const fold = t.operator === 'icontains' ? (sql: string) => `lower(${sql})` : (sql: string) => sql;
      const needles = Array.isArray(t.value) ? (t.value as string[]) : [t.value as string];
      const bound = needles.map((n) => fold(`${params.add(n)}::text`));
      positive = anyElement(col, key(), (_json, text) => (bound.length === 1 ? `strpos(${fold(text)}, ${bound[0]}) > 0` : `(${bound.map((b) => `strpos(${fold(text)}, ${b}) > 0`).join(' OR ')})`));
      break;
    }
    case 'regex':
    case 'not_regex': {
      const re = `${params.add(t.value)}::text`;
      positive = anyElement(col, key(), (_json, text) => `${text} ~ ${re}`);
      break;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[t.operator];
      // sb_jsonb_numeric (migrations/003_cohort_sql_helpers.sql) is NULL for non-numeric values, so mixed data never throws.
      const n = `${params.add(t.value)}::numeric`;
      positive = anyElement(col, key(), (json) => `coalesce(sb_jsonb_numeric(${json}) ${op} ${n}, false)`);
      break;
    }
    case 'is_set':
    case 'is_not_set':
      positive = `coalesce(jsonb_typeof(${value()}), 'null') <> 'null'`;
      break;
    case 'before':
    case 'after': {
      const ms = `${params.add(resolveDate(t.value as string | number, now))}::numeric`;
      positive = anyElement(col, key(), (json) => `coalesce(sb_jsonb_date_ms(${json}) ${t.operator === 'before' ? '<' : '>'} ${ms}, false)`);
      break;
    }
  }
  let sql = nullable ? `coalesce(${positive}, false)` : positive;
  if (NEGATIVE.has(t.operator)) sql = `NOT (${sql})`;
  return t.negate ? `NOT (${sql})` : sql;
}
