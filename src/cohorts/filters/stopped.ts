/**
 * `stopped`: persons who performed E in the baseline window and not in the recent one. The
 * windows may overlap (baseline "last 365d", recent "last 60d": bought in the year before the
 * last 60 days, and not since). SQL, one scan of E's events in either window:
 *
 *   SELECT pdi.person_id FROM events e JOIN person_distinct_ids pdi ON …
 *    WHERE e.project_id = $1 AND e.event = $n [AND where-tests] AND (<in baseline> OR <in recent>)
 *    GROUP BY pdi.person_id
 *   HAVING bool_or(<in baseline>) AND NOT bool_or(<in recent>)
 *
 * (PostHog: "stopped doing an event", `stopped_performing_event`.)
 */
import type { StoppedFilter } from '../../domain/cohort-definition.js';
import type { FilterContext } from './context.js';
import { eventConditions, eventsJoin, restrictConditions } from './events.js';
import { windowPredicate } from './window.js';

export function compileStopped(node: StoppedFilter, f: FilterContext): string {
  const baseline = windowPredicate(node.baseline, 'e.time', f);
  const recent = windowPredicate(node.recent, 'e.time', f);
  const conds = [...eventConditions(node, 'e', f), `(${baseline} OR ${recent})`, ...restrictConditions('pdi', f)];
  return (
    `SELECT pdi.person_id FROM ${eventsJoin('e', 'pdi')} WHERE ${conds.join(' AND ')}` +
    ` GROUP BY pdi.person_id HAVING bool_or(${baseline}) AND NOT bool_or(${recent})`
  );
}
