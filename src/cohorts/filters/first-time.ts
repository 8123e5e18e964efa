/**
 * `first_time`: persons whose FIRST matching event ever (over all stored history, across all
 * their distinct ids) lies inside the window. SQL:
 *
 *   SELECT pdi.person_id FROM events e JOIN person_distinct_ids pdi ON …
 *    WHERE e.project_id = $1 AND e.event = $n [AND where-tests]
 *    GROUP BY pdi.person_id
 *   HAVING min(e.time) >= <lower> AND min(e.time) <= <upper>   -- `<` for calendar periods
 *
 * (PostHog: "performed event for the first time", `performed_event_first_time`.)
 */
import type { FirstTimeFilter } from '../../domain/cohort-definition.js';
import type { FilterContext } from './context.js';
import { eventConditions, eventsJoin, restrictConditions } from './events.js';
import { windowConditions } from './window.js';

export function compileFirstTime(node: FirstTimeFilter, f: FilterContext): string {
  const conds = [...eventConditions(node, 'e', f), ...restrictConditions('pdi', f)];
  const having = windowConditions(node.window, 'min(e.time)', f);
  return `SELECT pdi.person_id FROM ${eventsJoin('e', 'pdi')} WHERE ${conds.join(' AND ')} GROUP BY pdi.person_id HAVING ${having.join(' AND ')}`;
}
