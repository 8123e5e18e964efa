/**
 * `restarted`: persons who performed E in the baseline window, not in the gap window, and
 * again in the recent window ("stopped, then came back"). SQL, one scan:
 *
 *   SELECT pdi.person_id FROM events e JOIN person_distinct_ids pdi ON …
 *    WHERE e.project_id = $1 AND e.event = $n [AND where-tests] AND (<baseline> OR <gap> OR <recent>)
 *    GROUP BY pdi.person_id
 *   HAVING bool_or(<baseline>) AND NOT bool_or(<gap>) AND bool_or(<recent>)
 *
 * (PostHog: "started doing an event again", `restarted_performing_event`.)
 */
import type { RestartedFilter } from '../../domain/cohort-definition.js';
import type { FilterContext } from './context.js';
import { eventConditions, eventsJoin, restrictConditions } from './events.js';
import { windowPredicate } from './window.js';

export function compileRestarted(node: RestartedFilter, f: FilterContext): string {
  const baseline = windowPredicate(node.baseline, 'e.time', f);
  const gap = windowPredicate(node.gap, 'e.time', f);
  const recent = windowPredicate(node.recent, 'e.time', f);
  const conds = [...eventConditions(node, 'e', f), `(${baseline} OR ${gap} OR ${recent})`, ...restrictConditions('pdi', f)];
  return (
    `SELECT pdi.person_id FROM ${eventsJoin('e', 'pdi')} WHERE ${conds.join(' AND ')}` +
    ` GROUP BY pdi.person_id HAVING bool_or(${baseline}) AND NOT bool_or(${gap}) AND bool_or(${recent})`
  );
}
