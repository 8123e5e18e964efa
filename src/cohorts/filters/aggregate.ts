/**
 * `aggregate`: persons whose sum / avg / min / max of a numeric event property, over their
 * matching events in the window, compares with a value (e.g. total `line_total` >= 100 in
 * the last 30 days). Values that are not numbers (or numeric strings) are ignored; a person
 * with no numeric value in the window has no aggregate and is not a member (not even of
 * `sum lt 10`). SQL:
 *
 *   SELECT pdi.person_id FROM events e JOIN person_distinct_ids pdi ON …
 *    WHERE e.project_id = $1 AND e.event = $n [AND where-tests] [AND e.time in window]
 *    GROUP BY pdi.person_id
 *   HAVING sum(sb_jsonb_numeric(e.properties -> $key)) >= $value::numeric
 *
 * sb_jsonb_numeric: migrations/003_cohort_sql_helpers.sql. Sums are exact (numeric).
 */
import type { AggregateFilter } from '../../domain/cohort-definition.js';
import type { FilterContext } from './context.js';
import { eventConditions, eventsJoin, restrictConditions } from './events.js';
import { windowConditions } from './window.js';

const OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=' } as const;

export function compileAggregate(node: AggregateFilter, f: FilterContext): string {
  const conds = [...eventConditions(node, 'e', f), ...windowConditions(node.window, 'e.time', f), ...restrictConditions('pdi', f)];
  const agg = `${node.fn}(sb_jsonb_numeric(e.properties -> ${f.params.add(node.property)}::text))`;
  return (
    `SELECT pdi.person_id FROM ${eventsJoin('e', 'pdi')} WHERE ${conds.join(' AND ')}` +
    ` GROUP BY pdi.person_id HAVING ${agg} ${OPS[node.op]} ${f.params.add(node.value)}::numeric`
  );
}
