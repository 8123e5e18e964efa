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
 * A boolean SQL expression for `t` on jsonb column `col` (a fixed identifier such as
 * `p.properties`). `now` (unix ms) resolves relative dates.
 */
export function propertyPredicate(t: PropertyTest, col: string, params: ParamSink, now: number): string {
  // The key is bound only when the SQL uses it (eq/neq embed it in their @> document):
  // PostgreSQL refuses a statement with a parameter it cannot type.
  let keyParam: string | undefined;
  const key = () => (keyParam ??= `${params.add(t.key)}::text`);
  const value = () => `${col} -> ${key()}`;
  const text = () => `(${col} ->> ${key()})`;
  let positive: string;
  // Containment on a NOT NULL column is never NULL, and must stay bare to use the GIN index.
  let nullable = true;
  switch (t.operator) {
    case 'eq':
    case 'neq': {
      // Containment (@>) uses the GIN index (jsonb_path_ops) on properties.
      const alts = equalJsonValues(t.value as Scalar).map((alt) => `${col} @> ${params.add(JSON.stringify({ [t.key]: alt }))}::jsonb`);
      positive = alts.length === 1 ? alts[0] : `(${alts.join(' OR ')})`;
      nullable = false;
      break;
    }
    case 'in':
    case 'not_in': {
      const all = (t.value as Scalar[]).flatMap(equalJsonValues).map((alt) => JSON.stringify(alt));
      positive = `${value()} = ANY(${params.add([...new Set(all)])}::jsonb[])`;
      break;
    }
    case 'contains':
      positive = `strpos(${text()}, ${params.add(t.value)}::text) > 0`;
      break;
    case 'icontains':
      positive = `strpos(lower(${text()}), lower(${params.add(t.value)}::text)) > 0`;
      break;
    case 'regex':
    case 'not_regex':
      positive = `${text()} ~ ${params.add(t.value)}::text`;
      break;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[t.operator];
      // sb_jsonb_numeric (migrations/003_cohort_sql_helpers.sql) is NULL for non-numeric values, so mixed data never throws.
      positive = `sb_jsonb_numeric(${value()}) ${op} ${params.add(t.value)}::numeric`;
      break;
    }
    case 'is_set':
    case 'is_not_set':
      positive = `coalesce(jsonb_typeof(${value()}), 'null') <> 'null'`;
      break;
    case 'before':
    case 'after': {
      const ms = resolveDate(t.value as string | number, now);
      positive = `sb_jsonb_date_ms(${value()}) ${t.operator === 'before' ? '<' : '>'} ${params.add(ms)}::numeric`;
      break;
    }
  }
  let sql = nullable ? `coalesce(${positive}, false)` : positive;
  if (NEGATIVE.has(t.operator)) sql = `NOT (${sql})`;
  return t.negate ? `NOT (${sql})` : sql;
}
