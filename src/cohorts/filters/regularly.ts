/**
 * `regularly`: persons who performed E in at least `min_periods` of the `periods`
 * consecutive calendar days or weeks (ISO weeks, Monday first) ending with the current one,
 * in the project's time zone; the current period counts although it is not over. SQL:
 *
 *   SELECT pdi.person_id FROM events e JOIN person_distinct_ids pdi ON …
 *    WHERE e.project_id = $1 AND e.event = $n [AND where-tests]
 *      AND e.time >= (date_trunc('week', now AT TIME ZONE tz) - make_interval(weeks => M-1)) AT TIME ZONE tz
 *      AND e.time <= now
 *    GROUP BY pdi.person_id
 *   HAVING count(DISTINCT date_trunc('week', e.time AT TIME ZONE tz)) >= N
 *
 * (PostHog: "performed event regularly", `performed_event_regularly`.)
 */
import type { RegularlyFilter } from '../../domain/cohort-definition.js';
import { nowSql, localNowSql, type FilterContext } from './context.js';
import { eventConditions, eventsJoin, restrictConditions } from './events.js';
import { fromLocal, intervalSql } from './window.js';

export function compileRegularly(node: RegularlyFilter, f: FilterContext): string {
  const unit = node.period;
  const start = fromLocal(f, `date_trunc('${unit}', ${localNowSql(f)}) - ${intervalSql(f, unit, node.periods - 1)}`);
  const conds = [...eventConditions(node, 'e', f), `e.time >= ${start}`, `e.time <= ${nowSql(f)}`, ...restrictConditions('pdi', f)];
  return (
    `SELECT pdi.person_id FROM ${eventsJoin('e', 'pdi')} WHERE ${conds.join(' AND ')}` +
    ` GROUP BY pdi.person_id HAVING count(DISTINCT date_trunc('${unit}', e.time AT TIME ZONE ${f.timeZone()})) >= ${f.params.add(node.min_periods)}::bigint`
  );
}
